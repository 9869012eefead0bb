"""Unit tests of tools/codegen/aiven_codegen/sim.py: the simulator's route table."""
import json
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from aiven_codegen import model, sim  # noqa: E402

DOC = {
    "openapi": "3.0.3",
    "servers": [{"url": "https://api.example.com/v1"}],
    "security": [{"token": []}],
    "paths": {
        "/thing/{id}": {
            "get": {"operationId": "ThingGet", "responses": {"200": {"content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Thing"}}}}}},
            "put": {"operationId": "ThingPut", "security": [{}, {"token": []}],
                    "requestBody": {"content": {"application/json": {"schema": {
                        "allOf": [{"$ref": "#/components/schemas/Thing"}, {"required": ["name"]}]}}}},
                    "responses": {"200": {"content": {"application/json": {"example": {"ok": True}}}}}},
            "delete": {"operationId": "ThingDelete", "responses": {"204": {"description": "gone"}}},
        },
    },
    "components": {"schemas": {"Thing": {"type": "object", "properties": {
        "name": {"type": "string", "minLength": 8},
        "kind": {"type": "string", "enum": ["big", "small"]},
        "when": {"type": "string", "format": "date-time"},
        "count": {"type": "integer", "minimum": 5},
        "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2},
        "errors": {"type": "array", "items": {"type": "string"}},
        "child": {"$ref": "#/components/schemas/Thing"},
    }}}},
}


class SimTableTest(unittest.TestCase):
    def setUp(self):
        self.m = model.Model(DOC)
        self.rows, self.schemas, self.samples = sim.routes(self.m)
        self.by_op = {r[2]: r for r in self.rows}

    def test_every_operation_with_the_server_prefix(self):
        self.assertEqual(sorted(self.by_op), ["ThingDelete", "ThingGet", "ThingPut"])
        self.assertEqual(self.by_op["ThingGet"][0], "/v1/thing/{id}")
        self.assertFalse(self.by_op["ThingGet"][3])  # needs a token
        self.assertTrue(self.by_op["ThingPut"][3])   # {} among its security requirements

    def test_sample_follows_the_schema(self):
        s = json.loads(self.samples[self.by_op["ThingGet"][7]])
        self.assertGreaterEqual(len(s["name"]), 8)
        self.assertEqual(s["kind"], "big")
        self.assertEqual(s["when"], "2024-01-02T03:04:05Z")
        self.assertEqual(s["count"], 5)
        self.assertEqual(len(s["tags"]), 2)
        self.assertNotIn("errors", s)  # a success carries no errors array
        self.assertIn("child", s)      # recursion is cut off at a depth, not refused

    def test_example_wins_and_no_content_is_empty(self):
        self.assertEqual(json.loads(self.samples[self.by_op["ThingPut"][7]]), {"ok": True})
        self.assertEqual(self.samples[self.by_op["ThingDelete"][7]], "")
        self.assertEqual(self.by_op["ThingDelete"][5], 204)

    def test_body_schema_inlines_refs_and_merges_all_of(self):
        schema = json.loads(self.schemas[self.by_op["ThingPut"][4]])
        self.assertEqual(schema["required"], ["name"])
        self.assertEqual(schema["properties"]["name"], {"type": "string", "minLength": 8})
        self.assertEqual(schema["properties"]["child"]["properties"]["kind"]["enum"], ["big", "small"])
        self.assertEqual(self.by_op["ThingGet"][4], -1)

    def test_source_is_deterministic(self):
        self.assertEqual(sim.source(self.m), sim.source(model.Model(DOC)))


if __name__ == "__main__":
    unittest.main()
