// The on-disk layout of a .tap file: constants, the file header, record headers, SEAL/END
// bodies and the footer. docs/format.md is the normative description; section names below
// point into it.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tap/format/session_info.hpp"
#include "tap/support/result.hpp"

namespace tap::format::layout {

// §File header
inline constexpr char kFileMagic[8] = {'\x89', 'T', 'A', 'P', '\r', '\n', '\x1a', '\n'};
inline constexpr uint16_t kVersion = 1;
// Fixed fields (184 bytes incl. magic and CRC) plus four varint-prefixed strings, each at least
// one byte when empty.
inline constexpr uint32_t kMinHeaderLen = 188;
inline constexpr uint32_t kMaxHeaderLen = 64 * 1024;
inline constexpr uint16_t kHeaderImported = 1;
inline constexpr uint16_t kHeaderJoinedLate = 2;
inline constexpr uint16_t kHeaderHasPrevious = 4;
inline constexpr size_t kMaxHeaderString = 4096;

// §Records
inline constexpr char kRecordMagic[4] = {'T', 'A', 'P', 'R'};
inline constexpr uint32_t kRecordHeaderLen = 32;
// No writer produces a record this large (DATA records are cut at 1 MiB); a larger length is
// corruption, and the cap bounds what a reader allocates for one record.
inline constexpr uint32_t kMaxPayload = 16u * 1024 * 1024;
inline constexpr uint32_t kMaxWrittenDataPayload = 1024 * 1024;

enum class RecordType : uint8_t { data = 1, seal = 2, end = 3 };
// Types >= kFirstSkippableType may be skipped by readers that do not know them; an unknown type
// below it means the file needs a newer reader.
inline constexpr uint8_t kFirstSkippableType = 128;

inline constexpr uint8_t kDataFrameStart = 1;
inline constexpr uint8_t kDataFrameEnd = 2;
inline constexpr uint8_t kSealSigned = 1;
inline constexpr uint32_t kFrameStartPrefix = 16;  // u64 first event seq, i64 base time

// §Events: caps that bound what a reader holds for one event and one frame.
inline constexpr uint64_t kMaxEventBody = 32u * 1024 * 1024;
inline constexpr uint64_t kMaxFrameBytes = 256u * 1024 * 1024;
inline constexpr int kMaxWindowLog = 24;

// §Footer
inline constexpr char kFooterMagic[8] = {'T', 'A', 'P', 'F', 'O', 'O', 'T', '1'};
inline constexpr uint32_t kFooterLen = 24;

// §Integrity
inline constexpr std::string_view kChainDomain{"tap/v1/chain\0", 13};
inline constexpr std::string_view kSealDomain{"tap/v1/seal\0", 12};
inline constexpr size_t kSignatureLen = 64;
inline constexpr size_t kMaxKeyIdLen = 64;

struct RecordHeader {
  RecordType type = RecordType::data;
  uint8_t raw_type = 0;
  uint8_t flags = 0;
  uint32_t payload_len = 0;
  uint64_t seq = 0;
  int64_t time = 0;
  uint32_t crc = 0;
};

// Encodes a record header for `payload` (computes the CRC) into 32 bytes.
std::array<char, kRecordHeaderLen> encode_record_header(uint8_t type, uint8_t flags,
                                                        uint64_t seq, int64_t time,
                                                        std::string_view prefix,
                                                        std::string_view payload);
enum class HeaderCheck { ok, bad_magic, bad_length, zero };
// Parses 32 bytes; checks magic, header length and the payload cap (not the CRC).
HeaderCheck decode_record_header(const char* bytes, RecordHeader& out);
// The CRC32C of the header's first 28 bytes followed by the payload.
uint32_t record_crc(const char* header28, std::string_view payload);

std::string encode_file_header(const SessionInfo& info);
// Parses a file header from `bytes` (which may extend past it); sets *len to its length.
Result<SessionInfo> decode_file_header(std::string_view bytes, uint32_t* len);

// One index entry per zstd frame (§Index).
struct FrameEntry {
  uint64_t offset = 0;     // file offset of the frame's first DATA record
  uint64_t first_seq = 0;  // sequence number of the frame's first event
  int64_t first_time = 0;  // time of the frame's first event
  bool operator==(const FrameEntry&) const = default;
};
// One index entry per keyframe event.
struct KeyframeEntry {
  uint64_t frame_offset = 0;     // the frame holding the keyframe event
  uint32_t in_frame_offset = 0;  // offset of the keyframe event in the uncompressed frame
  uint64_t seq = 0;              // the keyframe event's own sequence number
  uint64_t event_seq = 0;        // Keyframe::event_seq: the first event not reflected
  int64_t time = 0;              // time of event event_seq - 1 (0 when event_seq is 0)
  bool operator==(const KeyframeEntry&) const = default;
};

inline constexpr size_t kKinds = 11;
struct Totals {
  std::array<uint64_t, kKinds> events_by_kind{};
  uint64_t output_bytes = 0;
  uint64_t input_bytes = 0;
  uint64_t suppressed_bytes = 0;
  uint64_t gap_bytes = 0;
  uint64_t frames = 0;
};

// The body shared by SEAL and END records (§SEAL and END records), without the signature.
struct SealBody {
  uint64_t seq = 0;          // the record's own seq; the head covers records 0..seq-1
  Hash256 head{};            // chain head after record seq-1
  int64_t wall_ns = 0;
  uint64_t events = 0;       // events appended before this record
  int64_t last_time = 0;     // time of the last of them
  uint64_t prev_seal = 0;    // file offset of the previous SEAL, 0 for the first
  std::string key_id;
  std::vector<FrameEntry> frames;
  std::vector<KeyframeEntry> keyframes;
  Totals totals;             // END only
};
std::string encode_seal_body(const SealBody& body, bool is_end);
// `payload` is the whole record payload; the last 64 bytes are the signature.
bool decode_seal_body(std::string_view payload, bool is_end, SealBody& out,
                      std::string_view* signed_part, std::string_view* signature);
// The bytes an Ed25519 seal signature covers.
std::string seal_message(const Id128& file_id, RecordType type, std::string_view signed_part);

std::array<char, kFooterLen> encode_footer(uint64_t end_offset, uint32_t end_payload_len);
bool decode_footer(const char* bytes, uint64_t* end_offset, uint32_t* end_payload_len);

}  // namespace tap::format::layout
