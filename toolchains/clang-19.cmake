# Clang 19 from Debian's clang-19 package, with the LLVM 19 tools.
set(CMAKE_C_COMPILER clang-19)
set(FB_LLVM_PROFDATA llvm-profdata-19 CACHE STRING "llvm-profdata matching this clang")
