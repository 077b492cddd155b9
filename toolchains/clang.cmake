# The system Clang (Debian 12: clang 14) and the LLVM tools of the same version.
set(CMAKE_C_COMPILER clang)
set(FB_LLVM_PROFDATA llvm-profdata CACHE STRING "llvm-profdata matching this clang")
