// Golden request/response pairs: the response text must match byte for byte, natively and in
// wasm (the same test runs in both builds). Regenerate for review with scripts/golden.sh.
#include <doctest/doctest.h>

#include <string>

#include "support.hpp"

TEST_CASE("golden pairs match byte for byte") {
  const std::string list = testing::read_file("tests/golden/index.txt");
  REQUIRE_FALSE(list.empty());
  size_t pos = 0, count = 0;
  while (pos < list.size()) {
    size_t end = list.find('\n', pos);
    if (end == std::string::npos) end = list.size();
    const std::string name = list.substr(pos, end - pos);
    pos = end + 1;
    if (name.empty()) continue;
    CAPTURE(name);
    const std::string request = testing::read_file("tests/golden/" + name + ".request.json");
    std::string expected = testing::read_file("tests/golden/" + name + ".response.json");
    while (!expected.empty() && expected.back() == '\n') expected.pop_back();
    REQUIRE_FALSE(request.empty());
    CHECK(llmsizer::estimate_json(request) == expected);
    ++count;
  }
  CHECK(count >= 3);
}
