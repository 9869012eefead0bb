#include "sim/clouds.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

#include <cstdio>

#include <string>
#include <unordered_map>

namespace aiven::sim::detail {
namespace {

struct provider_info {
  const char* prefix;         // cloud_name prefix and `provider`
  const char* name;           // provider_description
  const char* short_name;     // as written in cloud_description
};

struct region {
  int provider;
  const char* suffix;
  const char* geo_region;
  const char* country;
  const char* location;
  double latitude, longitude;
};

constexpr provider_info providers[] = {
    {"aws", "Amazon Web Services", "Amazon Web Services"},
    {"google", "Google Cloud Platform", "Google Cloud"},
    {"azure", "Microsoft Azure", "Microsoft Azure"},
    {"do", "DigitalOcean", "DigitalOcean"},
    {"upcloud", "UpCloud", "UpCloud"},
};

// Real regions of each provider with approximate coordinates.
constexpr region regions[] = {
    {0, "af-south-1", "africa", "South Africa", "Cape Town", -33.9, 18.4},
    {0, "ap-east-1", "east asia", "Hong Kong", "Hong Kong", 22.3, 114.2},
    {0, "ap-northeast-1", "east asia", "Japan", "Tokyo", 35.7, 139.7},
    {0, "ap-northeast-2", "east asia", "Korea", "Seoul", 37.6, 127.0},
    {0, "ap-northeast-3", "east asia", "Japan", "Osaka", 34.7, 135.5},
    {0, "ap-south-1", "south asia", "India", "Mumbai", 19.1, 72.9},
    {0, "ap-south-2", "south asia", "India", "Hyderabad", 17.4, 78.5},
    {0, "ap-southeast-1", "southeast asia", "Singapore", "Singapore", 1.3, 103.8},
    {0, "ap-southeast-2", "australia", "Australia", "Sydney", -33.9, 151.2},
    {0, "ap-southeast-3", "southeast asia", "Indonesia", "Jakarta", -6.2, 106.8},
    {0, "ap-southeast-4", "australia", "Australia", "Melbourne", -37.8, 145.0},
    {0, "ca-central-1", "north america", "Canada", "Montreal", 45.5, -73.6},
    {0, "ca-west-1", "north america", "Canada", "Calgary", 51.0, -114.1},
    {0, "eu-central-1", "europe", "Germany", "Frankfurt", 50.1, 8.7},
    {0, "eu-central-2", "europe", "Switzerland", "Zurich", 47.4, 8.5},
    {0, "eu-north-1", "europe", "Sweden", "Stockholm", 59.3, 18.1},
    {0, "eu-south-1", "europe", "Italy", "Milan", 45.5, 9.2},
    {0, "eu-south-2", "europe", "Spain", "Aragon", 41.6, -0.9},
    {0, "eu-west-1", "europe", "Ireland", "Ireland", 53.0, -8.0},
    {0, "eu-west-2", "europe", "England", "London", 51.5, -0.1},
    {0, "eu-west-3", "europe", "France", "Paris", 48.9, 2.4},
    {0, "il-central-1", "middle east", "Israel", "Tel Aviv", 32.1, 34.8},
    {0, "me-central-1", "middle east", "United Arab Emirates", "UAE", 25.2, 55.3},
    {0, "me-south-1", "middle east", "Bahrain", "Bahrain", 26.1, 50.6},
    {0, "sa-east-1", "south america", "Brazil", "Sao Paulo", -23.5, -46.6},
    {0, "us-east-1", "north america", "United States", "N. Virginia", 38.0, -78.0},
    {0, "us-east-2", "north america", "United States", "Ohio", 40.0, -83.0},
    {0, "us-west-1", "north america", "United States", "N. California", 37.4, -122.0},
    {0, "us-west-2", "north america", "United States", "Oregon", 45.9, -119.7},
    {1, "africa-south1", "africa", "South Africa", "Johannesburg", -26.2, 28.0},
    {1, "asia-east1", "east asia", "Taiwan", "Taiwan", 24.0, 120.5},
    {1, "asia-east2", "east asia", "Hong Kong", "Hong Kong", 22.3, 114.2},
    {1, "asia-northeast1", "east asia", "Japan", "Tokyo", 35.7, 139.7},
    {1, "asia-northeast2", "east asia", "Japan", "Osaka", 34.7, 135.5},
    {1, "asia-northeast3", "east asia", "Korea", "Seoul", 37.6, 127.0},
    {1, "asia-south1", "south asia", "India", "Mumbai", 19.1, 72.9},
    {1, "asia-south2", "south asia", "India", "Delhi", 28.6, 77.2},
    {1, "asia-southeast1", "southeast asia", "Singapore", "Singapore", 1.3, 103.8},
    {1, "asia-southeast2", "southeast asia", "Indonesia", "Jakarta", -6.2, 106.8},
    {1, "australia-southeast1", "australia", "Australia", "Sydney", -33.9, 151.2},
    {1, "australia-southeast2", "australia", "Australia", "Melbourne", -37.8, 145.0},
    {1, "europe-central2", "europe", "Poland", "Warsaw", 52.2, 21.0},
    {1, "europe-north1", "europe", "Finland", "Finland", 60.6, 27.2},
    {1, "europe-southwest1", "europe", "Spain", "Madrid", 40.4, -3.7},
    {1, "europe-west1", "europe", "Belgium", "Belgium", 50.4, 3.8},
    {1, "europe-west2", "europe", "England", "London", 51.5, -0.1},
    {1, "europe-west3", "europe", "Germany", "Frankfurt", 50.1, 8.7},
    {1, "europe-west4", "europe", "Netherlands", "Netherlands", 53.4, 6.8},
    {1, "europe-west6", "europe", "Switzerland", "Zurich", 47.4, 8.5},
    {1, "europe-west8", "europe", "Italy", "Milan", 45.5, 9.2},
    {1, "europe-west9", "europe", "France", "Paris", 48.9, 2.4},
    {1, "me-central1", "middle east", "Qatar", "Doha", 25.3, 51.5},
    {1, "me-west1", "middle east", "Israel", "Tel Aviv", 32.1, 34.8},
    {1, "northamerica-northeast1", "north america", "Canada", "Montreal", 45.5, -73.6},
    {1, "northamerica-northeast2", "north america", "Canada", "Toronto", 43.7, -79.4},
    {1, "southamerica-east1", "south america", "Brazil", "Sao Paulo", -23.5, -46.6},
    {1, "southamerica-west1", "south america", "Chile", "Santiago", -33.4, -70.6},
    {1, "us-central1", "north america", "United States", "Iowa", 41.3, -95.9},
    {1, "us-east1", "north america", "United States", "South Carolina", 33.2, -80.0},
    {1, "us-east4", "north america", "United States", "Northern Virginia", 39.0, -77.5},
    {1, "us-west1", "north america", "United States", "Oregon", 45.6, -121.2},
    {1, "us-west2", "north america", "United States", "Los Angeles", 34.1, -118.2},
    {1, "us-west3", "north america", "United States", "Salt Lake City", 40.8, -111.9},
    {1, "us-west4", "north america", "United States", "Las Vegas", 36.2, -115.1},
    {2, "australia-east", "australia", "Australia", "New South Wales", -33.9, 151.2},
    {2, "brazil-south", "south america", "Brazil", "Sao Paulo State", -23.5, -46.6},
    {2, "canada-central", "north america", "Canada", "Toronto", 43.7, -79.4},
    {2, "central-india", "south asia", "India", "Pune", 18.6, 73.9},
    {2, "eastus", "north america", "United States", "Virginia", 37.4, -79.8},
    {2, "france-central", "europe", "France", "Paris", 48.9, 2.4},
    {2, "germany-westcentral", "europe", "Germany", "Frankfurt", 50.1, 8.7},
    {2, "japan-east", "east asia", "Japan", "Tokyo", 35.7, 139.7},
    {2, "korea-central", "east asia", "Korea", "Seoul", 37.6, 127.0},
    {2, "north-europe", "europe", "Ireland", "Ireland", 53.3, -6.3},
    {2, "norway-east", "europe", "Norway", "Oslo", 59.9, 10.7},
    {2, "south-africa-north", "africa", "South Africa", "Johannesburg", -26.2, 28.0},
    {2, "southeast-asia", "southeast asia", "Singapore", "Singapore", 1.3, 103.8},
    {2, "sweden-central", "europe", "Sweden", "Gavle", 60.7, 17.1},
    {2, "switzerland-north", "europe", "Switzerland", "Zurich", 47.4, 8.5},
    {2, "uae-north", "middle east", "United Arab Emirates", "Dubai", 25.3, 55.3},
    {2, "uksouth", "europe", "England", "London", 51.5, -0.1},
    {2, "west-europe", "europe", "Netherlands", "Netherlands", 52.4, 4.9},
    {2, "westus2", "north america", "United States", "Washington", 47.2, -119.9},
    {2, "westus3", "north america", "United States", "Arizona", 33.4, -112.1},
    {3, "ams", "europe", "Netherlands", "Amsterdam", 52.4, 4.9},
    {3, "blr", "south asia", "India", "Bangalore", 13.0, 77.6},
    {3, "fra", "europe", "Germany", "Frankfurt", 50.1, 8.7},
    {3, "lon", "europe", "England", "London", 51.5, -0.1},
    {3, "nyc", "north america", "United States", "New York", 40.7, -74.0},
    {3, "sfo", "north america", "United States", "San Francisco", 37.8, -122.4},
    {3, "sgp", "southeast asia", "Singapore", "Singapore", 1.3, 103.8},
    {3, "syd", "australia", "Australia", "Sydney", -33.9, 151.2},
    {3, "tor", "north america", "Canada", "Toronto", 43.7, -79.4},
    {4, "au-syd", "australia", "Australia", "Sydney", -33.9, 151.2},
    {4, "de-fra", "europe", "Germany", "Frankfurt", 50.1, 8.7},
    {4, "es-mad", "europe", "Spain", "Madrid", 40.4, -3.7},
    {4, "fi-hel", "europe", "Finland", "Helsinki", 60.2, 24.9},
    {4, "nl-ams", "europe", "Netherlands", "Amsterdam", 52.4, 4.9},
    {4, "pl-waw", "europe", "Poland", "Warsaw", 52.2, 21.0},
    {4, "se-sto", "europe", "Sweden", "Stockholm", 59.3, 18.1},
    {4, "sg-sin", "southeast asia", "Singapore", "Singapore", 1.3, 103.8},
    {4, "uk-lon", "europe", "England", "London", 51.5, -0.1},
    {4, "us-chi", "north america", "United States", "Chicago", 41.9, -87.6},
    {4, "us-nyc", "north america", "United States", "New York", 40.7, -74.0},
    {4, "us-sjo", "north america", "United States", "San Jose", 37.3, -121.9},
};

const char* continent(std::string_view geo_region) {
  if (geo_region == "africa") return "Africa";
  if (geo_region == "australia") return "Australia";
  if (geo_region == "europe") return "Europe";
  if (geo_region == "north america") return "North America";
  if (geo_region == "south america") return "South America";
  if (geo_region == "middle east") return "Middle East";
  return "Asia";
}

struct cloud_table {
  std::string body;
  std::unordered_map<std::string, std::string> descriptions;

  cloud_table() {
    // Written by hand rather than through json::serialize, which would print
    // 53.0 as 5.3E1: valid JSON, but not what the API sends.
    auto quoted = [](std::string_view v) { return boost::json::serialize(boost::json::string(v)); };
    auto number = [](double v) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.1f", v);
      return std::string(buf);
    };
    body = R"({"clouds":[)";
    bool first = true;
    for (const auto& r : regions) {
      const auto& p = providers[r.provider];
      std::string name = std::string(p.prefix) + "-" + r.suffix;
      std::string description = std::string(continent(r.geo_region)) + ", " + r.country + " - " + p.short_name +
                                ": " + r.location;
      if (!first) body += ',';
      first = false;
      body += R"({"cloud_description":)" + quoted(description);
      body += R"(,"cloud_name":)" + quoted(name);
      body += R"(,"geo_latitude":)" + number(r.latitude);
      body += R"(,"geo_longitude":)" + number(r.longitude);
      body += R"(,"geo_region":)" + quoted(r.geo_region);
      body += R"(,"provider":)" + quoted(p.prefix);
      body += R"(,"provider_description":)" + quoted(p.name) + "}";
      descriptions.emplace(std::move(name), std::move(description));
    }
    body += "]}";
  }
};

const cloud_table& table() {
  static const cloud_table t;  // thread-safe initialization
  return t;
}

}  // namespace

const std::string& clouds_body() { return table().body; }

std::string_view cloud_description(std::string_view cloud_name) {
  const auto& d = table().descriptions;
  auto it = d.find(std::string(cloud_name));
  return it == d.end() ? std::string_view() : std::string_view(it->second);
}

}  // namespace aiven::sim::detail
