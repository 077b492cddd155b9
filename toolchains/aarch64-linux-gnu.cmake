# Cross build for aarch64 Linux with Debian's gcc-aarch64-linux-gnu; binaries
# (tests, --describe) run under qemu-user.  Timings under emulation are not
# meaningful; assembly and llvm-mca for aarch64 CPUs are.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_AR aarch64-linux-gnu-gcc-ar)
set(CMAKE_RANLIB aarch64-linux-gnu-gcc-ranlib)
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
find_program(FB_QEMU_AARCH64 qemu-aarch64)
if(FB_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR "${FB_QEMU_AARCH64};-L;/usr/aarch64-linux-gnu")
endif()
