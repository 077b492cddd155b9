# The system GCC (Debian 12: gcc 12).
set(CMAKE_C_COMPILER gcc)
# GCC's LTO objects need the plugin-aware archiver if anything is archived.
set(CMAKE_AR gcc-ar)
set(CMAKE_RANLIB gcc-ranlib)
