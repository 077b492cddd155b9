/* memory/lib: AddressSanitizer hooks for the family's allocators.
 *
 * An arena or pool hands out memory that malloc sees as one live block, so
 * ASan cannot tell a freed pool object from a live one.  The allocators here
 * poison what they hold back (free-list objects, the unused tail of a chunk,
 * everything after an arena reset) and unpoison what they hand out, so a
 * use-after-free or an overflow inside an arena is still reported.  Under
 * ASan each object is also followed by a poisoned redzone of MEM_REDZONE
 * bytes; without ASan the macros compile to nothing and the redzone is 0.
 */
#ifndef FLAGBENCH_MEM_ASAN_H
#define FLAGBENCH_MEM_ASAN_H

#if defined(__SANITIZE_ADDRESS__)
#define MEM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MEM_ASAN 1
#endif
#endif
#ifndef MEM_ASAN
#define MEM_ASAN 0
#endif

#if MEM_ASAN
#include <sanitizer/asan_interface.h>
#define MEM_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define MEM_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#define MEM_REDZONE ((size_t)16)
#else
#define MEM_POISON(p, n) ((void)(p), (void)(n))
#define MEM_UNPOISON(p, n) ((void)(p), (void)(n))
#define MEM_REDZONE ((size_t)0)
#endif

#endif
