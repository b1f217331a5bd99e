// Builds without tap::term have no rendered-text output.
#include "encoder_base.hpp"

namespace tap::convert {
std::unique_ptr<Encoder> make_text_encoder(Sink&) { return nullptr; }
}  // namespace tap::convert
