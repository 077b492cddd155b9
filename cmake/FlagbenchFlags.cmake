# One configuration's flags.
#
# The cache variables below choose one value per axis; scripts/lib/resolve_flags.py
# turns them into flags using matrix/axes.conf (the one place flags are spelled),
# every axis's flags are test-compiled so a flag the compiler rejects stops the
# configure step with a message naming the axis, and the result lands on two
# interface targets:
#   fb_base    warnings, C standard, sanitizers: what every object gets
#   fb_config  fb_base + the configuration's flags: what kernels get

set(FB_OPT "O2" CACHE STRING "Optimization level (an 'opt' value of matrix/axes.conf)")
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64)$")
  set(FB_ARCH aarch64)
  set(_fb_default_march armv8-a)
else()
  set(FB_ARCH x86_64)
  set(_fb_default_march x86-64)
endif()
set(FB_MARCH "${_fb_default_march}" CACHE STRING "Target ISA (a 'march' value; any -march the compiler accepts)")
set(FB_FEATURES "none" CACHE STRING "Target features on top of FB_MARCH (a 'features' value)")
set(FB_LTO "off" CACHE STRING "Link-time optimization: off, thin or full")
set(FB_PGO "off" CACHE STRING "Profile-guided optimization phase: off, generate or use")
set(FB_PGO_DIR "" CACHE PATH "PGO profile directory (generate writes it, use reads it)")
set(FB_INLINE "default" CACHE STRING "Inlining: default, none or aggressive")
set(FB_EXTRA_CFLAGS "" CACHE STRING "Extra compile flags, appended last")
set(FB_EXTRA_LDFLAGS "" CACHE STRING "Extra link flags, appended last")
set(FB_AXIS_VALUES "" CACHE STRING "Values of further axes of matrix/axes.conf, as AXIS=VALUE;AXIS=VALUE")
set(FB_SANITIZE "" CACHE STRING "Sanitizers for test builds: empty, address,undefined or thread")
option(FB_WERROR "Treat warnings as errors (tests do)" OFF)
set_property(CACHE FB_LTO PROPERTY STRINGS off thin full)
set_property(CACHE FB_PGO PROPERTY STRINGS off generate use)
set_property(CACHE FB_INLINE PROPERTY STRINGS default none aggressive)

if(CMAKE_C_COMPILER_ID STREQUAL "GNU")
  set(FB_FAMILY gcc)
elseif(CMAKE_C_COMPILER_ID MATCHES "Clang")
  set(FB_FAMILY clang)
else()
  message(FATAL_ERROR "flagbench: compiler ${CMAKE_C_COMPILER_ID} is not supported; use gcc or clang "
                      "(toolchains/ has files for both)")
endif()

find_package(Python3 3.8 REQUIRED COMPONENTS Interpreter)

if(NOT FB_PGO MATCHES "^(off|generate|use)$")
  message(FATAL_ERROR "flagbench: FB_PGO must be off, generate or use, not '${FB_PGO}'")
endif()
set(_fb_pgo_value ${FB_PGO})
if(NOT FB_PGO STREQUAL "off")
  if(FB_PGO_DIR STREQUAL "")
    message(FATAL_ERROR "flagbench: FB_PGO=${FB_PGO} needs FB_PGO_DIR, the profile directory")
  endif()
  get_filename_component(FB_PGO_DIR "${FB_PGO_DIR}" ABSOLUTE BASE_DIR "${CMAKE_BINARY_DIR}")
endif()

set(_fb_more_axes "")
foreach(pair IN LISTS FB_AXIS_VALUES)
  list(APPEND _fb_more_axes --set "${pair}")
endforeach()
set(_fb_flags_file "${CMAKE_BINARY_DIR}/flagbench-flags.cmake")
execute_process(
  COMMAND "${Python3_EXECUTABLE}" "${PROJECT_SOURCE_DIR}/scripts/lib/resolve_flags.py"
          --axes "${PROJECT_SOURCE_DIR}/matrix/axes.conf" --family ${FB_FAMILY} --arch ${FB_ARCH}
          --set "opt=${FB_OPT}" --set "march=${FB_MARCH}" --set "features=${FB_FEATURES}"
          --set "lto=${FB_LTO}" --set "pgo=${_fb_pgo_value}" --set "inline=${FB_INLINE}"
          ${_fb_more_axes}
          --profile-dir "${FB_PGO_DIR}" --build-dir "${CMAKE_BINARY_DIR}" --out "${_fb_flags_file}"
  RESULT_VARIABLE _fb_rc ERROR_VARIABLE _fb_err)
if(NOT _fb_rc EQUAL 0)
  message(FATAL_ERROR "${_fb_err}")
endif()
include("${_fb_flags_file}")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
  "${PROJECT_SOURCE_DIR}/matrix/axes.conf" "${PROJECT_SOURCE_DIR}/scripts/lib/flagbench/axes.py"
  "${PROJECT_SOURCE_DIR}/scripts/lib/resolve_flags.py")

separate_arguments(FB_AXIS_extra_COMPILE UNIX_COMMAND "${FB_EXTRA_CFLAGS}")
separate_arguments(FB_AXIS_extra_LINK UNIX_COMMAND "${FB_EXTRA_LDFLAGS}")
set(FB_AXIS_extra_VALUE "${FB_EXTRA_CFLAGS} ${FB_EXTRA_LDFLAGS}")
set(FB_AXIS_extra_ROLE compile)
list(APPEND FB_RESOLVED_AXES extra)

# Test-compiles and links a trivial program with one axis's flags (plus the
# target flags and the link flags of the axes checked before it, which some
# options depend on: -Wl,-mllvm needs lld) and stops with the compiler's own
# message if it refuses them.
function(fb_require_flags axis link_so_far)
  set(compile ${FB_AXIS_${axis}_COMPILE})
  set(link ${FB_AXIS_${axis}_LINK})
  if(NOT compile AND NOT link)
    return()
  endif()
  list(PREPEND link ${link_so_far})
  if(NOT FB_AXIS_${axis}_ROLE STREQUAL "target")
    list(PREPEND compile ${FB_TARGET_COMPILE_FLAGS})
  endif()
  string(MD5 key "${CMAKE_C_COMPILER};${compile};${link}")
  if(DEFINED CACHE{FB_FLAGS_OK_${key}})
    return()
  endif()
  string(REPLACE "SHELL:" "" compile_plain "${compile}")
  string(REPLACE "SHELL:" "" link_plain "${link}")
  set(probe "${CMAKE_BINARY_DIR}/CMakeFiles/fb_flag_probe.c")
  file(WRITE "${probe}" "int main(void) { return 0; }\n")
  try_compile(ok "${CMAKE_BINARY_DIR}/CMakeFiles/fb_flag_probe_${axis}" NO_CACHE
    SOURCES "${probe}"
    COMPILE_DEFINITIONS ${compile_plain} -Werror
    LINK_OPTIONS ${link_plain}
    OUTPUT_VARIABLE out)
  if(NOT ok)
    string(REGEX MATCHALL "[^\n]*(error:|unrecognized|unknown|not supported)[^\n]*" why "${out}")
    list(JOIN why "\n  " why)
    message(FATAL_ERROR
      "flagbench: ${CMAKE_C_COMPILER_ID} ${CMAKE_C_COMPILER_VERSION} rejects the flags for "
      "${axis}=${FB_AXIS_${axis}_VALUE} (compile: ${compile_plain}; link: ${link_plain})\n  ${why}")
  endif()
  set(FB_FLAGS_OK_${key} 1 CACHE INTERNAL "flags accepted")
endfunction()

set(FB_TARGET_COMPILE_FLAGS "")
set(FB_CONFIG_COMPILE_FLAGS "")
set(FB_CONFIG_LINK_FLAGS "")
# Target axes first: the other axes are probed on top of them, so a bad
# -march must be blamed on march, not on the next axis.
set(_fb_axes_target "")
set(_fb_axes_other "")
foreach(axis IN LISTS FB_RESOLVED_AXES)
  if(FB_AXIS_${axis}_ROLE STREQUAL "target")
    list(APPEND _fb_axes_target ${axis})
  else()
    list(APPEND _fb_axes_other ${axis})
  endif()
endforeach()
foreach(axis IN LISTS _fb_axes_target _fb_axes_other)
  # A PGO "use" probe would fail for want of a profile; its flags are
  # checked by the build itself, which is the point of -Werror there.
  if(NOT FB_AXIS_${axis}_ROLE STREQUAL "pgo")
    fb_require_flags(${axis} "${FB_CONFIG_LINK_FLAGS}")
  endif()
  if(FB_AXIS_${axis}_ROLE STREQUAL "target")
    list(APPEND FB_TARGET_COMPILE_FLAGS ${FB_AXIS_${axis}_COMPILE})
  else()
    list(APPEND FB_CONFIG_COMPILE_FLAGS ${FB_AXIS_${axis}_COMPILE})
  endif()
  list(APPEND FB_CONFIG_LINK_FLAGS ${FB_AXIS_${axis}_LINK})
endforeach()

add_library(fb_base INTERFACE)
# -Wno-psabi: both compilers warn that passing a 32-byte vector by value
# without AVX has a different ABI; kernels do that on purpose in static code.
target_compile_options(fb_base INTERFACE -Wall -Wextra -g -Wno-psabi
                       $<$<BOOL:${FB_WERROR}>:-Werror>)
target_compile_definitions(fb_base INTERFACE _GNU_SOURCE)
if(FB_SANITIZE)
  set(_fb_san -fsanitize=${FB_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_compile_options(fb_base INTERFACE ${_fb_san})
  target_link_options(fb_base INTERFACE ${_fb_san})
endif()

add_library(fb_config INTERFACE)
target_link_libraries(fb_config INTERFACE fb_base)
target_compile_options(fb_config INTERFACE ${FB_TARGET_COMPILE_FLAGS} ${FB_CONFIG_COMPILE_FLAGS})
target_link_options(fb_config INTERFACE ${FB_CONFIG_LINK_FLAGS})

# Optimization records (scripts/lib/flagbench/why/remarks.py reads them): GCC
# writes <object>.opt-record.json.gz, Clang <object>.opt.yaml, beside each
# object.  They only record decisions: the code is the same with and without
# (docs/why.md has the check).  With LTO the decisions are taken at link
# time, so the link gets the option too: GCC then writes
# <binary>.ltransN.ltrans.opt-record.json.gz, Clang <binary>.opt.ld.yaml
# (ThinLTO: <binary>.opt.ld.yaml.thin.N.yaml), beside the binary.
option(FB_REMARKS "Save the compiler's optimization records next to each object" OFF)
if(FB_REMARKS)
  target_compile_options(fb_config INTERFACE -fsave-optimization-record)
  if(NOT FB_LTO STREQUAL "off")
    target_link_options(fb_config INTERFACE -fsave-optimization-record)
  endif()
endif()

# A readable summary of the configuration, for binaries and reports.
set(FB_CONFIG_SUMMARY "")
foreach(axis IN LISTS FB_RESOLVED_AXES)
  string(STRIP "${FB_AXIS_${axis}_VALUE}" v)
  if(NOT v STREQUAL "")
    string(APPEND FB_CONFIG_SUMMARY "${axis}=${v} ")
  endif()
endforeach()
if(FB_PGO STREQUAL "generate")
  string(APPEND FB_CONFIG_SUMMARY "pgo-phase=generate ")
endif()
if(FB_SANITIZE)
  string(APPEND FB_CONFIG_SUMMARY "sanitize=${FB_SANITIZE} ")
endif()
string(STRIP "${FB_CONFIG_SUMMARY}" FB_CONFIG_SUMMARY)
