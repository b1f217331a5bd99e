#include "tap/grep/file_walker.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <vector>

namespace tap::grep {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "tapgrep-walk-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::permissions(path_, fs::perms::owner_all, ec);
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

void touch(const fs::path& p) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << "x";
}

TEST(FileWalker, RecognisesRecordingNames) {
  EXPECT_TRUE(is_recording_name("web1-20261123T120300Z-pts3-0a1b2c3d.tap"));
  EXPECT_TRUE(is_recording_name("web1-20261123T120300Z-pts3-0a1b2c3d.tap.seg2"));
  EXPECT_TRUE(is_recording_name("web1-20261123T120300Z-pts3-0a1b2c3d.seg2.tap"));
  EXPECT_TRUE(is_recording_name("demo.cast"));
  EXPECT_FALSE(is_recording_name("notes.txt"));
  EXPECT_FALSE(is_recording_name("x.tap.seg"));
  EXPECT_FALSE(is_recording_name("x.taps"));
}

TEST(FileWalker, WalksASpoolInOrderAndSkipsOtherFiles) {
  TempDir dir;
  const fs::path root = dir.path();
  touch(root / "2026/11/24/b-20261124T000000Z-pts1-00000002.tap");
  touch(root / "2026/11/23/a-20261123T235959Z-pts0-00000001.tap");
  touch(root / "2026/11/23/a-20261123T235959Z-pts0-00000001.tap.seg1");
  touch(root / "2026/11/23/readme.txt");
  touch(root / "casts/demo.cast");
  auto walk = walk_paths({root.string()});
  EXPECT_TRUE(walk.errors.empty());
  ASSERT_EQ(walk.files.size(), 4u);
  EXPECT_EQ(walk.files[0], root / "2026/11/23/a-20261123T235959Z-pts0-00000001.tap");
  EXPECT_EQ(walk.files[1], root / "2026/11/23/a-20261123T235959Z-pts0-00000001.tap.seg1");
  EXPECT_EQ(walk.files[2], root / "2026/11/24/b-20261124T000000Z-pts1-00000002.tap");
  EXPECT_EQ(walk.files[3], root / "casts/demo.cast");
}

TEST(FileWalker, GivesEachSessionOnceByItsFirstSegment) {
  TempDir dir;
  const fs::path root = dir.path();
  touch(root / "s.tap");
  touch(root / "s.seg1.tap");
  touch(root / "s.seg2.tap");
  // t.seg2.tap is cut off from t.tap (no t.seg1.tap): a session reader of t.tap never reaches
  // it, so it is searched on its own.
  touch(root / "t.tap");
  touch(root / "t.seg2.tap");
  // u.seg1.tap without its segment 0 is itself.
  touch(root / "u.seg1.tap");
  auto walk = walk_paths({root.string()});
  EXPECT_TRUE(walk.errors.empty());
  EXPECT_EQ(walk.files, (std::vector<fs::path>{root / "s.tap", root / "t.seg2.tap", root / "t.tap",
                                               root / "u.seg1.tap"}));
  // Named on the command line, in any order or alone: the session once, where it first appears.
  auto named = walk_paths({(root / "s.seg2.tap").string(), (root / "u.seg1.tap").string(),
                           (root / "s.tap").string(), (root / "s.seg1.tap").string()});
  EXPECT_EQ(named.files, (std::vector<fs::path>{root / "s.tap", root / "u.seg1.tap"}));
}

TEST(FileWalker, AFileGivenByNameIsSearchedWhateverItsName) {
  TempDir dir;
  touch(dir.path() / "recording.bin");
  auto walk = walk_paths({(dir.path() / "recording.bin").string()});
  ASSERT_EQ(walk.files.size(), 1u);
  EXPECT_TRUE(walk.errors.empty());
}

TEST(FileWalker, AMissingPathIsAnErrorAndTheOthersAreStillWalked) {
  TempDir dir;
  touch(dir.path() / "a.tap");
  auto walk = walk_paths({(dir.path() / "missing").string(), dir.path().string()});
  ASSERT_EQ(walk.errors.size(), 1u);
  EXPECT_NE(walk.errors[0].what().find("missing"), std::string::npos);
  EXPECT_EQ(walk.files.size(), 1u);
}

TEST(FileWalker, SymlinkLoopsDoNotHangTheWalk) {
  TempDir dir;
  touch(dir.path() / "d/a.tap");
  fs::create_directory_symlink(dir.path(), dir.path() / "d/loop");
  auto walk = walk_paths({dir.path().string()});
  EXPECT_EQ(walk.files.size(), 1u);
}

}  // namespace
}  // namespace tap::grep
