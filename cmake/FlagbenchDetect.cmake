# Configure-time detection, like a build.rs: what the compiler and the CPU
# support, and the optional libraries kernels may use.  Results go to
#   ${CMAKE_BINARY_DIR}/flagbench-build.json   (read by the sweep)
#   ${CMAKE_BINARY_DIR}/generated/fb_build_info.h (compiled into the harness)
# and to the fb_need_<name> interface targets that kernels ask for with a
# "flagbench-needs:" line.

include(CheckCSourceCompiles)

# ---- compiler capabilities -------------------------------------------------
function(fb_probe var source)
  set(CMAKE_REQUIRED_FLAGS "${ARGN}")
  check_c_source_compiles("${source}" ${var})
  set(${var} ${${var}} PARENT_SCOPE)
endfunction()

if(FB_ARCH STREQUAL "x86_64")
  fb_probe(FB_CC_TARGET_AVX2 "__attribute__((target(\"avx2,fma\"))) int f(void){return 1;} int main(void){return f();}")
  fb_probe(FB_CC_TARGET_AVX512 "__attribute__((target(\"avx512f,avx512bw\"))) int f(void){return 1;} int main(void){return f();}")
  fb_probe(FB_CC_TARGET_CLONES "__attribute__((target_clones(\"default\",\"avx2\"))) int f(int x){return x+1;} int main(void){return f(0)-1;}")
endif()
fb_probe(FB_CC_IFUNC "static int one(void){return 1;} static void *pick(void){return (void*)one;} int f(void) __attribute__((ifunc(\"pick\"))); int main(void){return f()-1;}")
fb_probe(FB_CC_VECTOR_EXT "typedef float v4 __attribute__((vector_size(16))); int main(void){v4 a={1,2,3,4}; v4 b=__builtin_shufflevector(a,a,3,2,1,0); return (int)b[0]-4;}")

# ---- optional libraries, offered to kernels as fb_need_<name> ---------------
find_package(Threads REQUIRED)

add_library(fb_need_openmp INTERFACE)
set(FB_OPENMP_RUNTIME "none")
if(FB_SANITIZE MATCHES "thread")
  # libgomp/libomp are not built with TSan: every OpenMP region would be a
  # false report.  TSan builds therefore leave the OpenMP variants out.
  set(FB_OPENMP_RUNTIME "none (disabled under TSan)")
else()
  find_package(OpenMP COMPONENTS C QUIET)
  if(OpenMP_C_FOUND)
    target_link_libraries(fb_need_openmp INTERFACE OpenMP::OpenMP_C)
    target_compile_definitions(fb_need_openmp INTERFACE FB_HAVE_OPENMP=1)
    set(FB_OPENMP_RUNTIME "${OpenMP_C_LIB_NAMES}")
  elseif(FB_FAMILY STREQUAL "clang")
    # Debian ships one libomp-dev at a time (libomp-14-dev and libomp-19-dev
    # conflict).  libomp keeps its ABI backwards compatible, so a newer clang
    # can use an older libomp: borrow its omp.h and library.
    file(GLOB _fb_omp_headers /usr/lib/llvm-*/lib/clang/*/include/omp.h)
    file(GLOB _fb_omp_libs /usr/lib/llvm-*/lib/libomp.so)
    if(_fb_omp_headers AND _fb_omp_libs)
      list(GET _fb_omp_headers 0 _fb_omp_h)
      list(GET _fb_omp_libs 0 _fb_omp_lib)
      file(COPY "${_fb_omp_h}" DESTINATION "${CMAKE_BINARY_DIR}/openmp-include")
      get_filename_component(_fb_omp_dir "${_fb_omp_lib}" DIRECTORY)
      target_compile_options(fb_need_openmp INTERFACE -fopenmp)
      target_include_directories(fb_need_openmp SYSTEM INTERFACE "${CMAKE_BINARY_DIR}/openmp-include")
      target_link_options(fb_need_openmp INTERFACE -fopenmp "-L${_fb_omp_dir}" "-Wl,-rpath,${_fb_omp_dir}")
      target_compile_definitions(fb_need_openmp INTERFACE FB_HAVE_OPENMP=1)
      # A newer clang calls runtime entry points an older libomp lacks.
      target_sources(fb_need_openmp INTERFACE "${PROJECT_SOURCE_DIR}/kernels/harness/openmp_compat.c")
      set(FB_OPENMP_RUNTIME "${_fb_omp_lib} (borrowed)")
    endif()
  endif()
endif()
if(FB_OPENMP_RUNTIME MATCHES "^none")
  target_compile_definitions(fb_need_openmp INTERFACE FB_HAVE_OPENMP=0)
endif()

# A library found by one header and one library name becomes fb_need_<name>,
# defining FB_HAVE_<NAME> to 1 or 0; FB_HAVE_<NAME> is also set here.
function(fb_optional_library name header library)
  string(TOUPPER "${name}" upper)
  add_library(fb_need_${name} INTERFACE)
  find_path(FB_${upper}_INCLUDE ${header})
  find_library(FB_${upper}_LIBRARY ${library})
  if(FB_${upper}_INCLUDE AND FB_${upper}_LIBRARY)
    target_include_directories(fb_need_${name} SYSTEM INTERFACE "${FB_${upper}_INCLUDE}")
    target_link_libraries(fb_need_${name} INTERFACE "${FB_${upper}_LIBRARY}")
    set(found 1)
  else()
    set(found 0)
  endif()
  target_compile_definitions(fb_need_${name} INTERFACE FB_HAVE_${upper}=${found})
  set(FB_HAVE_${upper} ${found} PARENT_SCOPE)
endfunction()

# Concurrency Kit (libck-dev): peers for the queue kernels.
fb_optional_library(ck ck_ring.h ck)
# libnuma: NUMA placement where the machine has more than one node.
fb_optional_library(numa numa.h numa)

# ---- the build machine's CPU (only meaningful for native builds) -------------
set(FB_CPU_MODEL "unknown")
set(FB_CPU_FLAGS "")
if(NOT CMAKE_CROSSCOMPILING AND EXISTS /proc/cpuinfo)
  file(STRINGS /proc/cpuinfo _fb_model REGEX "^model name" LIMIT_COUNT 1)
  file(STRINGS /proc/cpuinfo _fb_flags REGEX "^flags" LIMIT_COUNT 1)
  string(REGEX REPLACE "^[^:]*: *" "" FB_CPU_MODEL "${_fb_model}")
  string(REGEX REPLACE "^[^:]*: *" "" FB_CPU_FLAGS "${_fb_flags}")
endif()

# ---- outputs ----------------------------------------------------------------
set(FB_BUILD_COMPILER "${CMAKE_C_COMPILER_ID} ${CMAKE_C_COMPILER_VERSION}")
file(MAKE_DIRECTORY "${CMAKE_BINARY_DIR}/generated")
file(CONFIGURE OUTPUT "${CMAKE_BINARY_DIR}/generated/fb_build_info.h" CONTENT
"/* Generated by cmake/FlagbenchDetect.cmake; do not edit. */
#define FB_BUILD_COMPILER \"@FB_BUILD_COMPILER@\"
#define FB_BUILD_CONFIG \"@FB_CONFIG_SUMMARY@\"
" @ONLY)

function(fb_json_list out)
  set(items "")
  foreach(x IN LISTS ARGN)
    string(REGEX REPLACE "^SHELL:" "" x "${x}")
    string(REPLACE "\\" "\\\\" x "${x}")
    string(REPLACE "\"" "\\\"" x "${x}")
    list(APPEND items "\"${x}\"")
  endforeach()
  list(JOIN items ", " joined)
  set(${out} "[${joined}]" PARENT_SCOPE)
endfunction()

fb_json_list(_j_target ${FB_TARGET_COMPILE_FLAGS})
fb_json_list(_j_compile ${FB_CONFIG_COMPILE_FLAGS})
fb_json_list(_j_link ${FB_CONFIG_LINK_FLAGS})
fb_json_list(_j_emulator ${CMAKE_CROSSCOMPILING_EMULATOR})
set(_j_axes "")
foreach(axis IN LISTS FB_RESOLVED_AXES)
  string(STRIP "${FB_AXIS_${axis}_VALUE}" v)
  string(REPLACE "\"" "\\\"" v "${v}")
  list(APPEND _j_axes "\"${axis}\": \"${v}\"")
endforeach()
list(JOIN _j_axes ", " _j_axes)
foreach(b FB_CC_TARGET_AVX2 FB_CC_TARGET_AVX512 FB_CC_TARGET_CLONES FB_CC_IFUNC FB_CC_VECTOR_EXT)
  if(${b})
    set(_j_${b} true)
  else()
    set(_j_${b} false)
  endif()
endforeach()
string(REPLACE "\"" "'" _fb_cpu_model_safe "${FB_CPU_MODEL}")
file(CONFIGURE OUTPUT "${CMAKE_BINARY_DIR}/flagbench-build.json" CONTENT
"{
  \"compiler\": {\"id\": \"${CMAKE_C_COMPILER_ID}\", \"version\": \"${CMAKE_C_COMPILER_VERSION}\", \"path\": \"${CMAKE_C_COMPILER}\", \"family\": \"${FB_FAMILY}\"},
  \"arch\": \"${FB_ARCH}\",
  \"axes\": {${_j_axes}},
  \"pgo_phase\": \"${FB_PGO}\",
  \"sanitize\": \"${FB_SANITIZE}\",
  \"flags\": {\"target\": ${_j_target}, \"compile\": ${_j_compile}, \"link\": ${_j_link}},
  \"supports\": {\"target_avx2\": ${_j_FB_CC_TARGET_AVX2}, \"target_avx512\": ${_j_FB_CC_TARGET_AVX512}, \"target_clones\": ${_j_FB_CC_TARGET_CLONES}, \"ifunc\": ${_j_FB_CC_IFUNC}, \"vector_extensions\": ${_j_FB_CC_VECTOR_EXT}},
  \"libraries\": {\"openmp\": \"${FB_OPENMP_RUNTIME}\", \"ck\": ${FB_HAVE_CK}, \"numa\": ${FB_HAVE_NUMA}},
  \"cpu\": {\"model\": \"${_fb_cpu_model_safe}\", \"flags\": \"${FB_CPU_FLAGS}\"},
  \"emulator\": ${_j_emulator},
  \"llvm_profdata\": \"${FB_LLVM_PROFDATA}\"
}
")
message(STATUS "flagbench: ${FB_BUILD_COMPILER}, ${FB_CONFIG_SUMMARY}; OpenMP: ${FB_OPENMP_RUNTIME}")
