// Internal invariants. MD_CHECK is for our own bugs, never for outside data (which gets
// a Status): it logs file:line and aborts. MD_DCHECK compiles away in release builds.
#pragma once

namespace md::internal {
[[noreturn]] void CheckFailed(const char* file, int line, const char* expr, const char* msg);
}  // namespace md::internal

#define MD_CHECK(cond)                                                    \
  do {                                                                    \
    if (!(cond)) ::md::internal::CheckFailed(__FILE__, __LINE__, #cond, ""); \
  } while (0)

#define MD_CHECK_MSG(cond, msg)                                              \
  do {                                                                       \
    if (!(cond)) ::md::internal::CheckFailed(__FILE__, __LINE__, #cond, msg); \
  } while (0)

#ifdef NDEBUG
#define MD_DCHECK(cond) \
  do {                  \
  } while (0)
#else
#define MD_DCHECK(cond) MD_CHECK(cond)
#endif
