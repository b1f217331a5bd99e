// tapconv against the real tools (label compat; TAP_REQUIRE_TOOLS=1 turns skips into
// failures): asciinema 2.2 plays our casts and records casts we import, scriptreplay replays
// our typescripts, asciinema-player (npm, under node) parses our v3.
#include <gtest/gtest.h>

#include <simdjson.h>

#include <sstream>

#include "cli_util.hpp"
#include "tap/convert/convert.hpp"
#include "tap/term/terminal.hpp"

namespace tap::convert::test {
namespace {

fs::path corpus() { return fs::path(tap::test::source_dir()) / "tests" / "data" / "corpus"; }

// The output bytes of a `script --log-io` recording, taken from its timing file ("O DELAY N"
// lines) independently of tapconv.
std::string log_io_output(const std::string& io, const std::string& timing) {
  std::string out;
  size_t pos = io.find('\n') + 1;  // after "Script started on ..."
  std::istringstream in(timing);
  std::string kind, delay;
  while (in >> kind >> delay) {
    if (kind == "H" || kind == "S") {
      std::string rest;
      std::getline(in, rest);
      continue;
    }
    size_t n = 0;
    in >> n;
    if (kind == "O") out += io.substr(pos, n);
    pos += n;
  }
  return out;
}

// asciinema 2.2's `cat` reads keys from /dev/tty: give it a pty; its stdout goes to a file.
Run asciinema_cat(const fs::path& dir, const std::string& cast, const std::string& out) {
  return sh(dir, "script -qec " + quote("asciinema cat " + quote(cast) + " > " + quote(out)) + " /dev/null </dev/null");
}

// One corpus session decompressed and imported: NAME.io, NAME.tm, NAME.tap.
void import_corpus(const fs::path& d, const std::string& name) {
  auto r = sh(d, "zstd -dcq " + quote((corpus() / (name + ".io.zst")).string()) + " > " + name + ".io && zstd -dcq " +
                     quote((corpus() / (name + ".tm.zst")).string()) + " > " + name + ".tm");
  ASSERT_EQ(r.status, 0) << r.err;
  r = sh(d, tapconv() + " " + name + ".io " + name + ".tap --from log-io --timing " + name + ".tm");
  ASSERT_EQ(r.status, 0) << r.err;
}

TEST(TapconvCompat, AsciinemaCatPlaysOurCastsAsTheRecordedOutput) {
  TAP_REQUIRE_TOOL("asciinema");
  TAP_REQUIRE_TOOL("script");
  TAP_REQUIRE_TOOL("zstd");
  fs::path d = scratch_dir();
  for (std::string name : {"shell", "vim", "apt", "htop"}) {
    import_corpus(d, name);
    std::string recorded = log_io_output(read_file(d / (name + ".io")), read_file(d / (name + ".tm")));
    ASSERT_GT(recorded.size(), 1000u);
    auto r = sh(d, tapconv() + " " + name + ".tap " + name + ".cast && " + tapconv() + " " + name + ".tap " + name + ".raw");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(r.err, "") << name;  // the corpus is valid UTF-8: nothing replaced
    EXPECT_EQ(read_file(d / (name + ".raw")), recorded) << name;
    r = asciinema_cat(d, name + ".cast", name + ".played");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_TRUE(read_file(d / (name + ".played")) == recorded) << name << ": asciinema cat differs";
  }
}

TEST(TapconvCompat, CastsRecordedByAsciinemaImportAndExportAsAsciinemaCatPrints) {
  TAP_REQUIRE_TOOL("asciinema");
  TAP_REQUIRE_TOOL("script");
  fs::path d = scratch_dir();
  write_file(d / "cmd.sh",
             "printf '\\033[1;33mcolour\\033[0m caf\\303\\251 \\344\\270\\255\\346\\226\\207 \\360\\237\\230\\200\\n'\n"
             "seq 1 3000\nprintf 'tab\\there\\r\\n'\nsleep 0.2\nprintf 'done'\n");
  auto r = sh(d, "script -qec " + quote("stty cols 77 rows 21; asciinema rec -q --overwrite -c 'sh cmd.sh' rec.cast") +
                     " /dev/null </dev/null >/dev/null");
  ASSERT_EQ(r.status, 0) << r.err;
  ASSERT_TRUE(fs::exists(d / "rec.cast"));
  r = sh(d, tapconv() + " rec.cast rec.tap && " + tapconv() + " rec.tap rec.raw && " + tapconv() + " rec.tap rec.jsonl");
  ASSERT_EQ(r.status, 0) << r.err;
  r = asciinema_cat(d, "rec.cast", "rec.played");
  ASSERT_EQ(r.status, 0) << r.err;
  std::string played = read_file(d / "rec.played");
  EXPECT_NE(played.find("2999\r\n3000\r\n"), std::string::npos);
  EXPECT_TRUE(read_file(d / "rec.raw") == played) << "our raw export differs from asciinema cat";
  std::string jsonl = read_file(d / "rec.jsonl");
  EXPECT_NE(jsonl.find("{\"t\":0.000000000,\"kind\":\"resize\",\"cols\":77,\"rows\":21}"), std::string::npos);
  EXPECT_NE(jsonl.find("\"imported\":true"), std::string::npos);
  // And back out as v2: asciinema plays our re-export the same.
  r = sh(d, tapconv() + " rec.tap again.cast");
  ASSERT_EQ(r.status, 0) << r.err;
  ASSERT_EQ(asciinema_cat(d, "again.cast", "again.played").status, 0);
  EXPECT_TRUE(read_file(d / "again.played") == played);
}

TEST(TapconvCompat, ScriptreplayReplaysOurTypescriptsToTheSameBytes) {
  TAP_REQUIRE_TOOL("scriptreplay");
  TAP_REQUIRE_TOOL("zstd");
  fs::path d = scratch_dir();
  import_corpus(d, "build");
  auto r = sh(d, tapconv() + " build.tap build.raw && " + tapconv() + " build.tap out.typescript --to script && " +
                     tapconv() + " build.tap out.log --to log-io");
  ASSERT_EQ(r.status, 0) << r.err;
  std::string raw = read_file(d / "build.raw");
  ASSERT_GT(raw.size(), 1000u);
  // The reference: scriptreplay on the original recording (it prints one "\n" at the end).
  r = sh(d, "scriptreplay -m 0.0001 --log-io build.io --log-timing build.tm");
  ASSERT_EQ(r.status, 0) << r.err;
  std::string original = r.out;
  EXPECT_TRUE(original == raw + "\n") << "the original replays as " << original.size() << " bytes";
  // Classic: scriptreplay TIMING TYPESCRIPT, delays capped so the test is quick.
  r = sh(d, "scriptreplay -m 0.0001 -t out.typescript.timing out.typescript");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(r.out == original) << "classic replay differs (" << r.out.size() << " vs " << original.size() << " bytes)";
  // Advanced: --log-io + --log-timing.
  r = sh(d, "scriptreplay -m 0.0001 --log-io out.log --log-timing out.log.timing");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(r.out == original) << "log-io replay differs (" << r.out.size() << " vs " << original.size() << " bytes)";
}

// npm's asciinema-player, installed under the build tree on first use.
std::string player_prefix() {
  fs::path prefix = fs::path(tap::test::binary_dir()) / "tests" / "convert" / "npm";
  if (!fs::exists(prefix / "node_modules" / "asciinema-player" / "package.json")) {
    fs::create_directories(prefix);
    auto r = sh(prefix, "npm install --no-audit --no-fund --prefix " + quote(prefix.string()) + " asciinema-player");
    EXPECT_EQ(r.status, 0) << r.err;
  }
  return prefix.string();
}

struct Played {
  uint64_t cols = 0, rows = 0;
  std::string output;
  size_t resizes = 0, markers = 0, inputs = 0, exits = 0;
  double last_ms = 0;
};

Played player_parse(const fs::path& dir, const std::string& cast) {
  Played p;
  fs::path script = fs::path(tap::test::source_dir()) / "tests" / "convert" / "player_parse.mjs";
  auto r = sh(dir, "node " + quote(script.string()) + " " + quote(player_prefix()) + " " + quote(cast));
  EXPECT_EQ(r.status, 0) << r.err;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  auto err = parser.parse(r.out).get(doc);
  EXPECT_FALSE(err) << simdjson::error_message(err) << ": " << r.out.substr(0, 200);
  if (err) return p;
  p.cols = doc["cols"].get_uint64().value_unsafe();
  p.rows = doc["rows"].get_uint64().value_unsafe();
  for (auto ev : doc["events"].get_array()) {
    double ms = ev.at(0).get_double().value_unsafe();
    std::string_view code = ev.at(1).get_string().value_unsafe();
    p.last_ms = ms;
    if (code == "o") p.output += ev.at(2).get_string().value_unsafe();
    p.resizes += code == "r";
    p.markers += code == "m";
    p.inputs += code == "i";
    p.exits += code == "x";
  }
  return p;
}

TEST(TapconvCompat, AsciinemaPlayerParsesOurV3) {
  TAP_REQUIRE_TOOL("node");
  TAP_REQUIRE_TOOL("npm");
  TAP_REQUIRE_TOOL("zstd");
  fs::path d = scratch_dir();
  import_corpus(d, "shell");
  auto r = sh(d, tapconv() + " shell.tap shell.cast --to v3 && " + tapconv() + " shell.tap shell.raw && " + tapconv() +
                     " shell.tap shell.jsonl");
  ASSERT_EQ(r.status, 0) << r.err;
  Played p = player_parse(d, "shell.cast");
  EXPECT_EQ(p.cols, 120u);
  EXPECT_EQ(p.rows, 40u);
  EXPECT_TRUE(p.output == read_file(d / "shell.raw")) << "the player's output differs from the recording";
  EXPECT_GT(p.inputs, 10u);
  EXPECT_EQ(p.exits, 1u);
  // The player's clock at the exit event is the session's end (within a millisecond).
  std::string jsonl = read_file(d / "shell.jsonl");
  size_t end = jsonl.rfind("{\"t\":");
  double end_s = std::stod(jsonl.substr(end + 5));
  EXPECT_NEAR(p.last_ms, end_s * 1000, 1.0);

  // The v3 golden file derived from the spec's example parses as the spec describes it.
  Played spec = player_parse(d, (expected_dir() / "spec_v3.v3.cast").string());
  EXPECT_EQ(spec.cols, 80u);
  EXPECT_EQ(spec.resizes, 1u);
  EXPECT_EQ(spec.markers, 1u);
  EXPECT_EQ(spec.inputs, 1u);
  EXPECT_EQ(spec.exits, 1u);
  EXPECT_EQ(spec.output, "\x1b[1;31mHello \x1b[32mWorld!\x1b[0m\nThat was ok\rThis is better. \r\n");
  EXPECT_NEAR(spec.last_ms, 6344.657, 0.01);
}

// Every output and resize of a recording applied to a terminal: its screen at the end.
term::Terminal final_screen(const fs::path& path) {
  term::Terminal t(80, 24);
  auto dec = open_decoder(path.string(), std::nullopt);
  EXPECT_TRUE(dec.ok()) << dec.error().what();
  if (!dec.ok()) return t;
  for (;;) {
    auto e = (*dec)->next();
    EXPECT_TRUE(e.ok()) << e.error().what();
    if (!e.ok() || *e == nullptr) break;
    if (const auto* o = (*e)->get<format::Output>()) t.feed(o->data);
    if (const auto* r = (*e)->get<format::Resize>()) t.resize(r->cols, r->rows);
  }
  return t;
}

size_t first_output_size(const fs::path& path) {
  auto dec = open_decoder(path.string(), std::nullopt);
  EXPECT_TRUE(dec.ok()) << dec.error().what();
  if (!dec.ok()) return 0;
  for (;;) {
    auto e = (*dec)->next();
    if (!e.ok() || *e == nullptr) return 0;
    if (const auto* o = (*e)->get<format::Output>()) return o->data.size();
  }
}

void expect_same_screen(const term::Terminal& a, const term::Terminal& b, const std::string& what) {
  ASSERT_EQ(a.cols(), b.cols()) << what;
  ASSERT_EQ(a.rows(), b.rows()) << what;
  EXPECT_EQ(a.alt_screen(), b.alt_screen()) << what;
  EXPECT_EQ(a.cursor(), b.cursor()) << what;
  for (auto buf : {term::Buffer::primary, term::Buffer::alternate}) {
    // The primary screen always counts; the alternate one only while it is shown (a program
    // that left it leaves its content behind, which nothing shows again).
    if (buf == term::Buffer::alternate && !a.alt_screen()) continue;
    for (int r = 0; r < a.rows(); ++r) {
      EXPECT_EQ(a.row_text(buf, r), b.row_text(buf, r)) << what << ": row " << r;
      for (int c = 0; c < a.cols(); ++c) {
        const auto& x = a.cell(buf, r, c);
        if (x.chars[0] == 0 || x.chars[0] == U' ') continue;
        EXPECT_EQ(x.pen, b.cell(buf, r, c).pen) << what << ": pen at row " << r << " column " << c;
      }
    }
  }
}

TEST(TapconvCompat, APartCutFromTheMiddlePlaysInAsciinemaToTheSameScreenAsTheWhole) {
  TAP_REQUIRE_TOOL("asciinema");
  TAP_REQUIRE_TOOL("script");
  TAP_REQUIRE_TOOL("zstd");
  fs::path d = scratch_dir();
  struct Case {
    std::string name, from, to;
  } cases[] = {{"vim", "30.3", "60.7"}, {"vim", "60.7", ""}, {"less", "20.3", "50.7"},
               {"top", "40.3", "100.1"}, {"shell", "60.3", ""},
               // apt keeps its progress bar below a scroll region (DECSTBM) that a redraw
               // cannot set; it redraws the bar after every line, so the screens agree.
               {"apt", "7.8449", "31.3767"}, {"htop", "13.6651", ""}};
  std::string imported;
  for (const auto& c : cases) {
    const std::string what = c.name + " from " + c.from + " to " + (c.to.empty() ? "the end" : c.to);
    if (imported != c.name) {
      import_corpus(d, c.name);
      imported = c.name;
    }
    std::string window = " --force --from-time " + c.from + (c.to.empty() ? "" : " --to-time " + c.to);
    auto r = sh(d, tapconv() + " " + c.name + ".tap cut.cast" + window + " && " + tapconv() + " " + c.name +
                       ".tap cut.raw" + window + " && " + tapconv() + " " + c.name + ".tap whole.cast --force" +
                       (c.to.empty() ? "" : " --to-time " + c.to));
    ASSERT_EQ(r.status, 0) << what << ": " << r.err;
    // asciinema plays the cut as its first frame (the screen at the cut) and then the rest of
    // the recorded output, byte for byte.
    std::remove((d / "cut.played").c_str());
    r = asciinema_cat(d, "cut.cast", "cut.played");
    ASSERT_EQ(r.status, 0) << what << ": " << r.err;
    const std::string played = read_file(d / "cut.played");
    EXPECT_TRUE(played == read_file(d / "cut.raw")) << what << ": asciinema cat differs from the raw cut";
    ASSERT_EQ(played.rfind("\x1b[0m\x1b[H\x1b[2J", 0), 0u) << what;
    r = sh(d, tapconv() + " whole.cast whole.raw --force");
    ASSERT_EQ(r.status, 0) << what << ": " << r.err;
    const std::string whole = read_file(d / "whole.raw");
    const size_t preamble = first_output_size(d / "cut.cast");
    ASSERT_GT(preamble, 20u) << what;
    ASSERT_GT(played.size(), preamble) << what;
    EXPECT_TRUE(whole.size() >= played.size() - preamble &&
                whole.compare(whole.size() - (played.size() - preamble), std::string::npos, played, preamble) == 0)
        << what << ": after the first frame, the cut is not the recording's output from the cut on";
    // Played to its end, the cut shows what the whole recording shows at the same moment.
    expect_same_screen(final_screen(d / "cut.cast"), final_screen(d / "whole.cast"), what);
  }
}

}  // namespace
}  // namespace tap::convert::test
