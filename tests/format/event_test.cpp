#include "tap/format/event.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace tap::format {
namespace {

TEST(Event, KindFollowsTheVariantAlternativeForEveryKind) {
  const EventBody bodies[] = {Output{"x"}, Input{"y"}, InputSuppressed{8}, Resize{80, 24},
                              Opener{}, WriterChange{}, Exec{}, Marker{}, Gap{}, Keyframe{},
                              SessionEnd{}};
  std::set<std::string> names;
  int expected = 1;
  for (const EventBody& body : bodies) {
    Event e{0, body};
    EXPECT_EQ(static_cast<int>(e.kind()), expected++);
    names.insert(std::string(kind_name(e.kind())));
  }
  EXPECT_EQ(names.size(), std::size(bodies));  // every kind has its own name
  EXPECT_EQ(kind_name(EventKind::input_suppressed), "input-suppressed");
  EXPECT_EQ(kind_name(static_cast<EventKind>(200)), "unknown");
}

TEST(Event, CompareByTimeKindAndEveryField) {
  Event a{5, Gap{Stream::output, 100, 20, 1, Gap::Reason::ring_overflow}};
  Event b = a;
  EXPECT_EQ(a, b);
  b.get<Gap>()->bytes = 21;
  EXPECT_NE(a, b);
  Event c{6, a.body};
  EXPECT_NE(a, c);
  EXPECT_EQ(a.get<Output>(), nullptr);
  ASSERT_NE(a.get<Gap>(), nullptr);
  EXPECT_EQ(gap_reason_name(a.get<Gap>()->reason), "ring-overflow");
}

}  // namespace
}  // namespace tap::format
