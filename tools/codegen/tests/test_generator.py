"""Unit tests of tools/codegen: naming rules, model decisions and the golden mini-spec output.

Run: python3 -m unittest discover -s tools/codegen/tests
Refresh the golden output after an intended change: AIVEN_CODEGEN_UPDATE_GOLDEN=1 (same command).
"""
import filecmp
import json
import os
import shutil
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
CODEGEN = os.path.dirname(HERE)
sys.path.insert(0, CODEGEN)

import generate  # noqa: E402
from aiven_codegen import model as model_mod  # noqa: E402
from aiven_codegen import cli as cli_mod  # noqa: E402
from aiven_codegen import naming  # noqa: E402

SPEC = os.path.join(HERE, "mini_openapi.json")
GOLDEN = os.path.join(HERE, "golden")
GOLDEN_DIVERGED = os.path.join(HERE, "golden_diverged")  # the files that differ when two schemas diverge
OVERRIDES = os.path.join(HERE, "mini_overrides.json")


class CliNamingTest(unittest.TestCase):
    def test_operation_names(self):
        self.assertEqual(cli_mod.area_name("service_kafka"), "service-kafka")
        self.assertEqual(cli_mod.op_name("service-kafka", "ServiceKafkaTopicList"), "topic-list")
        self.assertEqual(cli_mod.op_name("service", "ServiceList"), "list")
        self.assertEqual(cli_mod.op_name("project", "ProjectGet"), "get")
        # letters compared without separators: MySQL -> my-sql still spells the area mysql
        self.assertEqual(cli_mod.op_name("service-mysql", "ServiceMySQLUserList"), "user-list")
        # nothing would remain: the whole name is kept
        self.assertEqual(cli_mod.op_name("service", "Service"), "service")
        # not a prefix of whole words: nothing stripped
        self.assertEqual(cli_mod.op_name("service", "ServicesList"), "services-list")
        self.assertEqual(cli_mod.op_name("account", "ListClouds"), "list-clouds")

    def test_option_names(self):
        self.assertEqual(cli_mod.option_name("service_name"), "service-name")
        self.assertEqual(cli_mod.option_name("client-id"), "client-id")
        self.assertEqual(cli_mod.option_name("maxItems"), "max-items")
        self.assertEqual(cli_mod.option_name("body"), "param-body")


class NamingTest(unittest.TestCase):
    def test_snake(self):
        self.assertEqual(naming.snake("ServiceKafkaTopicList"), "service_kafka_topic_list")
        self.assertEqual(naming.snake("ProjectGetOut"), "project_get_out")
        self.assertEqual(naming.snake("Service:_Kafka"), "service_kafka")
        self.assertEqual(naming.snake("PGServiceQueryValidate"), "pg_service_query_validate")
        self.assertEqual(naming.snake("Service_UserOut"), "service_user_out")

    def test_identifier(self):
        self.assertEqual(naming.identifier("class"), "class_value")
        self.assertEqual(naming.identifier("end-time"), "end_time")
        self.assertEqual(naming.identifier("1.0"), "n_1_0")
        self.assertEqual(naming.identifier("-"), "empty")
        self.assertEqual(naming.identifier("user.name"), "user_name")
        # snake_case: CamelCase split, lower-cased
        self.assertEqual(naming.identifier("maxItems"), "max_items")
        self.assertEqual(naming.identifier("isStoppable"), "is_stoppable")
        self.assertEqual(naming.identifier("docURL"), "doc_url")
        self.assertEqual(naming.identifier("RUNNING"), "running")
        # `null` would read as aiven::null: the keyword rule
        self.assertEqual(naming.identifier("null"), "null_value")

    def test_member_names_clash_after_snake_casing(self):
        # a key that is already its identifier keeps it, whatever the order
        self.assertEqual(naming.member_names(["fooBar", "foo_bar"]), ["foo_bar_2", "foo_bar"])
        self.assertEqual(naming.member_names(["foo_bar", "fooBar", "FooBar"]), ["foo_bar", "foo_bar_2", "foo_bar_3"])
        self.assertEqual(naming.member_names(["class", "class_value"]), ["class_value_2", "class_value"])
        self.assertEqual(naming.member_names(["body"], {"body"}), ["body_2"])

    def test_unique(self):
        used = set()
        self.assertEqual([naming.unique("a", used) for _ in range(3)], ["a", "a_2", "a_3"])

    def test_file_name(self):
        self.assertEqual(naming.file_name("Ticket_[deprecated]"), "ticket_deprecated")
        self.assertEqual(naming.file_name("Common"), "common_tag")


class ModelTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.m = model_mod.load(SPEC, OVERRIDES)
        cls.ops = {op.id: op for op in cls.m.operations}

    def test_server_path_is_prepended(self):
        self.assertEqual(self.ops["ThingGet"].path, "/v1/project/{project}/thing/{thing_name}")

    def test_single_member_wrapper_is_unwrapped(self):
        self.assertEqual(self.ops["ThingGet"].unwrap, "thing")
        self.assertEqual(self.ops["ThingGet"].response_cpp, "::aiven::api::thing_out")
        self.assertIsNone(self.ops["ThingList"].unwrap)  # two members

    def test_message_response_and_no_content(self):
        self.assertEqual(self.ops["ThingCreate"].response_cpp, "::aiven::api::message_response")
        self.assertEqual(self.ops["ThingDelete"].response_kind, "empty")

    def test_downloads_are_raw(self):
        op = self.ops["ThingReportDownload"]
        self.assertEqual(op.response_kind, "raw")
        self.assertEqual(op.accept, "text/csv")
        self.assertTrue(op.auth_optional)

    def test_credential_path_parameters(self):
        for name in ("verification_code", "invite_verification_code", "credit_code", "resetToken", "client_secret"):
            self.assertTrue(model_mod.is_credential_param(name), name)
        # names that name a credential without carrying it, and plain names
        for name in ("token_prefix", "secret_id", "secret_name", "project", "thing_name", "codename", "version_id"):
            self.assertFalse(model_mod.is_credential_param(name), name)
        # /v1/project/{project}/invite/{invite_verification_code}: segment 4 after the leading '/'
        self.assertEqual(self.ops["ThingInviteAccept"].secret_segments, {4: ["invite_verification_code"]})
        self.assertEqual(self.ops["ThingGet"].secret_segments, {})

    def test_idempotency(self):
        self.assertTrue(self.ops["ThingGet"].idempotent)
        self.assertFalse(self.ops["ThingReportUpload"].idempotent)
        self.assertTrue(self.ops["ThingCreate"].idempotent)  # mini_overrides.json

    def test_fields(self):
        st = next(s for s in self.m.structs if s.name == "thing_out")
        f = {x.json: x for x in st.fields}
        self.assertEqual(f["class"].name, "class_value")
        self.assertEqual(f["name"].cpp(), "std::string")
        self.assertEqual(f["node_count"].cpp(), "std::optional<std::int64_t>")
        self.assertEqual(f["state"].cpp(), "::aiven::open_enum<::aiven::api::thing_state>")
        self.assertEqual(f["note"].cpp(), "std::optional<::aiven::nullable<std::string>>")
        self.assertEqual(f["tags"].cpp(), "std::optional<std::map<std::string, std::string>>")
        self.assertEqual(f["config"].cpp(), "std::optional<::boost::json::value>")
        self.assertEqual(f["anything"].cpp(), "std::optional<::boost::json::value>")
        self.assertEqual(f["parts"].cpp(), "std::optional<std::vector<::aiven::api::thing_out_parts_item>>")
        self.assertEqual(f["child"].cpp(), "std::optional<::aiven::open_enum<::aiven::api::thing_state>>")
        self.assertEqual(f["schemaType"].name, "schema_type")
        self.assertEqual(f["docURL"].name, "doc_url")

    def test_members_in_document_order(self):
        # the document's order of properties, not sorted: name, class, node_count, ...
        st = next(s for s in self.m.structs if s.name == "thing_out")
        self.assertEqual([x.json for x in st.fields][:4], ["name", "class", "node_count", "disk"])
        self.assertEqual([p.name for p in self.ops["ThingList"].params], ["project", "limit", "state"])

    def test_enum_values(self):
        e = next(e for e in self.m.enums if e.name == "thing_state")
        self.assertEqual([n for _, n in e.values],
                         ["running", "poweroff", "unknown_2", "kafka_connect", "n_1_0", "null_value"])

    def test_inline_objects_are_named_from_their_place(self):
        names = {s.name for s in self.m.structs}
        self.assertIn("thing_create_in_settings", names)
        self.assertIn("thing_report_upload_response_report", names)


class SaxDecoderTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        from aiven_codegen import cpp
        cls.cpp = cpp
        cls.m = model_mod.load(SPEC, OVERRIDES)
        cls.layout = cpp.Layout(cls.m)

    def test_unknown_fields_member_cannot_clash(self):
        # identifier() never ends a name with '_', whatever the JSON key is.
        self.assertTrue(self.cpp.UNKNOWN_FIELDS.endswith("_"))
        for key in ("unknown_fields_", "_unknown_fields_", "unknown_fields__", "class", "x_"):
            self.assertFalse(naming.identifier(key).endswith("_"), key)

    def test_member_dispatch_by_length_then_name(self):
        st = next(s for s in self.m.structs if s.name == "thing_out")
        text = self.cpp._sax_members(st)
        self.assertIn("switch (k.size())", text)
        self.assertIn('    case 4:\n      if (k == "name") return ::aiven::codec::sax::member(f, "name", o.name);', text)
        self.assertIn('if (k == "class") return ::aiven::codec::sax::member(f, "class", o.class_value);', text)
        self.assertIn("return ::aiven::codec::sax::unknown(f, k, o.unknown_fields_);", text)

    def test_typed_calls_decode_the_body_bytes(self):
        ops = {op.id: op for op in self.m.operations}
        get = self.cpp.erased(ops["ThingGet"])
        self.assertIn('auto dec = std::make_shared<::aiven::codec::sax::response<::aiven::api::thing_out>>("thing");\n'
                      '  cr.decoder = dec;\n  ::aiven::detail::async_call_raw(c, std::move(cr), diag,', get)
        self.assertIn("::aiven::codec::sax::take_response<::aiven::api::thing_out>{std::move(dec)}", get)
        self.assertIn("::aiven::codec::sax::response<::aiven::api::thing_list_response>>(std::string_view{})", self.cpp.erased(ops["ThingList"]))
        self.assertIn("async_call_json", self.cpp.erased(ops["ThingDelete"]))  # empty: nothing to decode
        self.assertIn("async_call_raw(c, std::move(cr), diag, std::move(handler));", self.cpp.erased(ops["ThingReportDownload"]))

    def test_tree_decoders_only_for_the_reference(self):
        text = self.cpp.source(self.m, self.layout, self.layout.owner[id(next(s for s in self.m.structs if s.name == "thing_out"))])
        i = text.index("#ifdef " + self.cpp.TREE_REFERENCE)
        self.assertLess(text.index("sax_members_thing_out"), i)
        self.assertGreater(text.index("bool decode(const ::boost::json::value& v, ::aiven::api::thing_out& out"), i)


class ModelsHeaderTest(unittest.TestCase):
    def test_models_header_has_nothing_of_the_core(self):
        with tempfile.TemporaryDirectory() as tmp:
            generate.generate(SPEC, tmp, OVERRIDES, True)
            api = os.path.join(tmp, "include", "aiven", "api")
            for name in ("things_models.hpp", "reports_models.hpp", "common.hpp"):
                with open(os.path.join(api, name)) as f:
                    text = f.read()
                includes = [l for l in text.splitlines() if l.startswith("#include")]
                for inc in includes:
                    self.assertTrue(inc in ("#include <aiven/types.hpp>", "#include <aiven/api/common.hpp>")
                                    or inc.startswith("#include <boost/json/") or "/" not in inc, (name, inc))
                self.assertNotIn("_request", text)
            with open(os.path.join(api, "things.hpp")) as f:
                ops = f.read()
            self.assertIn("#include <aiven/api/things_models.hpp>", ops)
            self.assertNotIn("struct thing_out {", ops)
            self.assertIn("struct thing_get_request {", ops)


def diverged_spec(path):
    """The mini spec where ThingPatchOut, identical to ThingCopyOut, gets one more property."""
    with open(SPEC) as f:
        doc = json.load(f)
    doc["components"]["schemas"]["ThingPatchOut"]["properties"]["extra"] = {"type": "boolean"}
    with open(path, "w") as f:
        json.dump(doc, f, indent=2)
    return path


def files_of(root):
    out = {}
    for d, _, names in os.walk(root):
        for n in names:
            with open(os.path.join(d, n), encoding="utf-8") as f:
                out[os.path.relpath(os.path.join(d, n), root)] = f.read()
    return out


class DedupeTest(unittest.TestCase):
    def test_identical_schemas_are_one_type(self):
        m = model_mod.load(SPEC, OVERRIDES)
        by = {t.name: t for t in m.structs + m.enums}
        # the shortest name is the canonical one; nested types and enums are compared whole
        self.assertIsNone(by["thing_copy_out"].alias_of)
        self.assertIs(by["thing_patch_out"].alias_of, by["thing_copy_out"])
        self.assertIs(by["thing_patch_out_owner"].alias_of, by["thing_copy_out_owner"])
        self.assertIs(by["thing_patch_out_owner_role"].alias_of, by["thing_copy_out_owner_role"])
        self.assertIs(by["thing_create_in_settings_mode"].alias_of, by["thing_copy_out_owner_role"])
        self.assertIsNone(by["thing_out"].alias_of)
        layout = __import__("aiven_codegen.cpp", fromlist=["cpp"]).Layout(m)
        # used by two tags: the group lives in common.hpp, one set of conversions
        self.assertEqual(layout.owner[id(by["thing_patch_out"])], "common")
        self.assertEqual(layout.owner[id(by["thing_copy_out"])], "common")

    def test_a_difference_deep_down_splits_the_group(self):
        with tempfile.TemporaryDirectory() as tmp:
            with open(SPEC) as f:
                doc = json.load(f)
            doc["components"]["schemas"]["ThingPatchOut"]["properties"]["owner"]["properties"]["email"]["type"] = "integer"
            path = os.path.join(tmp, "spec.json")
            with open(path, "w") as f:
                json.dump(doc, f)
            m = model_mod.load(path, OVERRIDES)
            by = {t.name: t for t in m.structs + m.enums}
            self.assertIsNone(by["thing_patch_out"].alias_of)
            self.assertIsNone(by["thing_patch_out_owner"].alias_of)
            self.assertIs(by["thing_patch_out_owner_role"].alias_of, by["thing_copy_out_owner_role"])

    def test_recursive_identical_schemas(self):
        with tempfile.TemporaryDirectory() as tmp:
            with open(SPEC) as f:
                doc = json.load(f)
            doc["components"]["schemas"]["NodeA"] = {"type": "object", "properties": {
                "name": {"type": "string"}, "children": {"type": "array", "items": {"$ref": "#/components/schemas/NodeB"}}}}
            doc["components"]["schemas"]["NodeB"] = {"type": "object", "properties": {
                "name": {"type": "string"}, "children": {"type": "array", "items": {"$ref": "#/components/schemas/NodeA"}}}}
            doc["paths"]["/tree"] = {"get": {"tags": ["Things"], "operationId": "TreeGet", "responses": {"200": {
                "description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NodeA"}}}}}}}
            path = os.path.join(tmp, "spec.json")
            with open(path, "w") as f:
                json.dump(doc, f)
            m, _ = generate.generate(path, os.path.join(tmp, "out"), OVERRIDES, False)
            by = {t.name: t for t in m.structs}
            self.assertIs(by["node_b"].alias_of, by["node_a"])
            text = files_of(os.path.join(tmp, "out"))["include/aiven/api/things_models.hpp"]
            # the alias is used inside its canonical type: declared first, defined after
            i = text.index("using node_b = ::aiven::api::node_a;")
            self.assertLess(text.index("struct node_a;\n"), i)
            self.assertLess(i, text.index("struct node_a {"))

    def test_no_duplicate_conversions(self):
        with tempfile.TemporaryDirectory() as tmp:
            generate.generate(SPEC, tmp, OVERRIDES, True)
            text = "".join(v for k, v in files_of(tmp).items() if k.startswith("src/api/"))
            self.assertEqual(text.count("sax_ops(::aiven::api::thing_copy_out*) {"), 1)
            self.assertNotIn("sax_ops(::aiven::api::thing_patch_out*)", text)
            self.assertNotIn("encode(const ::aiven::api::thing_patch_out&", text)
            self.assertNotIn("to_string(thing_patch_out_owner_role", text)
            common = files_of(tmp)["include/aiven/api/common.hpp"]
            self.assertIn("using thing_patch_out = ::aiven::api::thing_copy_out;", common)


class GoldenTest(unittest.TestCase):
    def test_diverged_golden_output(self):
        """The variant where the two schemas diverge: two structs. golden_diverged/ holds the files
        that differ from golden/ (the document's sha aside)."""
        with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory() as base:
            spec = diverged_spec(os.path.join(tmp, "spec.json"))
            out = os.path.join(tmp, "out")
            m = generate.generate(spec, out, OVERRIDES, True)[0]
            m0 = generate.generate(SPEC, base, OVERRIDES, True)[0]
            got = {k: v.replace(m.sha, "SHA") for k, v in files_of(out).items()}
            same = {k: v.replace(m0.sha, "SHA") for k, v in files_of(base).items()}
            overlay = {k: v for k, v in got.items() if same.get(k) != v}
            # two structs, each used by one tag only: each in its tag's models header; their owners
            # (still identical, used by both tags) stay one struct and an alias in common.hpp
            self.assertIn("struct thing_patch_out {", overlay["include/aiven/api/reports_models.hpp"])
            self.assertIn("struct thing_copy_out {", overlay["include/aiven/api/things_models.hpp"])
            self.assertNotIn("using thing_patch_out ", "".join(overlay.values()))
            self.assertIn("using thing_patch_out_owner = ::aiven::api::thing_copy_out_owner;",
                          overlay["include/aiven/api/common.hpp"])
            if os.environ.get("AIVEN_CODEGEN_UPDATE_GOLDEN"):
                shutil.rmtree(GOLDEN_DIVERGED, ignore_errors=True)
                for k, v in overlay.items():
                    os.makedirs(os.path.dirname(os.path.join(GOLDEN_DIVERGED, k)), exist_ok=True)
                    with open(os.path.join(GOLDEN_DIVERGED, k), "w", encoding="utf-8", newline="\n") as f:
                        f.write(v)
            self.assertEqual(overlay, files_of(GOLDEN_DIVERGED),
                             "golden_diverged differs; if intended, rerun with AIVEN_CODEGEN_UPDATE_GOLDEN=1")

    def test_golden_output(self):
        with tempfile.TemporaryDirectory(prefix="aiven-codegen-golden-") as tmp:
            generate.generate(SPEC, tmp, OVERRIDES, True)
            if os.environ.get("AIVEN_CODEGEN_UPDATE_GOLDEN"):
                shutil.rmtree(GOLDEN, ignore_errors=True)
                shutil.copytree(tmp, GOLDEN)
            diffs = []
            for root, _, names in os.walk(tmp):
                for n in names:
                    rel = os.path.relpath(os.path.join(root, n), tmp)
                    g = os.path.join(GOLDEN, rel)
                    if not os.path.exists(g) or not filecmp.cmp(os.path.join(tmp, rel), g, shallow=False):
                        diffs.append(rel)
            for root, _, names in os.walk(GOLDEN):
                for n in names:
                    rel = os.path.relpath(os.path.join(root, n), GOLDEN)
                    if not os.path.exists(os.path.join(tmp, rel)):
                        diffs.append(rel + " (only in golden)")
            self.assertEqual(sorted(diffs), [], "golden output differs; if intended, rerun with "
                                                "AIVEN_CODEGEN_UPDATE_GOLDEN=1")

    def test_deterministic(self):
        with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
            generate.generate(SPEC, a, OVERRIDES, True)
            generate.generate(SPEC, b, OVERRIDES, True)
            cmp = filecmp.dircmp(a, b)
            self.assertEqual(cmp.diff_files, [])


if __name__ == "__main__":
    unittest.main()
