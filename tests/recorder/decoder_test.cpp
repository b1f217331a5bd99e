// The decoder on synthetic ring records laid out as bpf/tty_capture.h says.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "tap/recorder/decoder.hpp"
#include "tty_capture.h"

namespace tap::recorder {
namespace {

std::vector<uint8_t> data_record(uint8_t kind, uint64_t offset, const std::string& payload) {
  tap_rec_data d{};
  d.hdr.size = static_cast<uint16_t>(sizeof d + payload.size());
  d.hdr.kind = kind;
  d.hdr.pty_index = 7;
  d.hdr.ts_ns = 123456789;
  d.hdr.pty_dev = (136u << 20) | 3;
  d.hdr.generation = 4;
  d.hdr.tgid = 4242;
  d.offset = offset;
  d.len = static_cast<uint32_t>(payload.size());
  d.call_len = d.len;
  std::vector<uint8_t> out(sizeof d + payload.size());
  std::memcpy(out.data(), &d, sizeof d);
  std::memcpy(out.data() + sizeof d, payload.data(), payload.size());
  return out;
}

TEST(Decoder, DecodesAnOutputChunkWithItsOffsetAndPayload) {
  auto bytes = data_record(TAP_REC_OUTPUT, 4096, "hello\r\n");
  auto r = decode_record(bytes);
  ASSERT_TRUE(r.ok()) << r.error().what();
  EXPECT_EQ(r->kind, RecordKind::output);
  EXPECT_EQ(r->key.pty_index, 7u);
  EXPECT_EQ(r->key.pty_dev, (136u << 20) | 3);
  EXPECT_EQ(r->key.generation, 4u);
  EXPECT_EQ(r->offset, 4096u);
  EXPECT_EQ(r->len, 7u);
  EXPECT_EQ(r->payload, "hello\r\n");
  EXPECT_EQ(r->tgid, 4242u);
  EXPECT_FALSE(r->has_meta);
}

TEST(Decoder, RejectsASizeFieldThatDisagreesWithTheRecord) {
  auto bytes = data_record(TAP_REC_OUTPUT, 0, "abc");
  bytes.push_back(0);
  auto r = decode_record(bytes);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::corrupt);
}

TEST(Decoder, RejectsAPayloadLongerThanLen) {
  auto bytes = data_record(TAP_REC_INPUT, 0, "abcd");
  tap_rec_data d;
  std::memcpy(&d, bytes.data(), sizeof d);
  d.len = 2;
  std::memcpy(bytes.data(), &d, sizeof d);
  EXPECT_FALSE(decode_record(bytes).ok());
}

TEST(Decoder, SuppressedInputCarriesALengthAndNoBytes) {
  auto bytes = data_record(TAP_REC_INPUT_SUPPRESSED, 10, "");
  tap_rec_data d;
  std::memcpy(&d, bytes.data(), sizeof d);
  d.len = 8;
  std::memcpy(bytes.data(), &d, sizeof d);
  auto r = decode_record(bytes);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->kind, RecordKind::input_suppressed);
  EXPECT_EQ(r->len, 8u);
  EXPECT_TRUE(r->payload.empty());
  // Bytes after a suppressed record would be a password: refused.
  bytes.push_back('x');
  d.hdr.size = static_cast<uint16_t>(bytes.size());
  std::memcpy(bytes.data(), &d, sizeof d);
  EXPECT_FALSE(decode_record(bytes).ok());
}

TEST(Decoder, DecodesAnExecWithItsFilenameAndFlags) {
  tap_rec_exec e{};
  e.meta.hdr.size = sizeof e;
  e.meta.hdr.kind = TAP_REC_EXEC;
  e.meta.hdr.flags = TAP_F_SETID | TAP_F_LEADER;
  e.meta.uid = 1001;
  e.meta.euid = 0;
  e.meta.loginuid = 0xFFFFFFFF;
  std::strcpy(e.meta.comm, "sudo");
  std::strcpy(e.filename, "/usr/bin/sudo");
  std::vector<uint8_t> bytes(sizeof e);
  std::memcpy(bytes.data(), &e, sizeof e);
  auto r = decode_record(bytes);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->has_meta);
  EXPECT_TRUE(r->setid_exec());
  EXPECT_TRUE(r->leader_exec());
  EXPECT_EQ(r->comm, "sudo");
  EXPECT_EQ(r->filename, "/usr/bin/sudo");
  EXPECT_EQ(r->uid, 1001u);
  EXPECT_EQ(r->euid, 0u);
}

TEST(Decoder, UnknownKindsAreUnsupportedNotCorrupt) {
  auto bytes = data_record(200, 0, "");
  auto r = decode_record(bytes);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::unsupported);
}

TEST(Decoder, NeverReadsPastShortOrGarbageInput) {
  std::vector<uint8_t> bytes;
  for (size_t n = 0; n < 400; ++n) {
    bytes.assign(n, static_cast<uint8_t>(n * 37));
    if (n >= 2) {
      uint16_t sz = static_cast<uint16_t>(n);
      std::memcpy(bytes.data(), &sz, 2);
    }
    (void)decode_record(bytes);  // must not crash (ASan build checks reads)
  }
  SUCCEED();
}

}  // namespace
}  // namespace tap::recorder
