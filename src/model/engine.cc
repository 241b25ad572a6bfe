// Placeholder until the engine lands: keeps the binary linking for everyone.
#include "moondream/engine.h"

namespace md {

StatusOr<std::unique_ptr<Engine>> Engine::Load(const LoadOptions& options) {
  return Unavailable("the inference engine is not built yet");
}

}  // namespace md
