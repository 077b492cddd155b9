# Layout seeds of LTO configurations, linked without redoing LTO (docs/build.md,
# "Layout seeds with LTO").
#
# A seed differs from bin/<kernel> only by its padding object, which is native
# code: the LTO code generator would get the same IR and write the same
# objects, and with a few seeds per configuration that second code generation
# was most of an LTO build.  So the main link keeps its LTO output objects in
# lto-seeds/<kernel>/objects/ (lto.o, lto.o1, ...), and each seed is the same
# link command with the IR objects replaced by them: a plain link by the
# configuration's own driver and linker (scripts/lib/lto_seed_link.py,
# the seed's linker launcher), checked against the main binary and redone
# with full LTO if the check fails.  lto-seeds/<kernel>/seed<S>.txt says which.
#
# How the main link keeps its objects:
#   GCC: the driver finds lto-wrapper on its -B path first, so a per-kernel
#        stand-in (cmake/fb_gcc_lto_keep.sh) runs the real one and copies the
#        objects it hands to the linker.  (-save-temps would also keep them,
#        but writes <object>.debug.temp.o beside the shared harness objects,
#        which parallel links would race on.)
#   Clang: lld writes its LTO objects where --plugin-opt=obj-path= says (the
#        spelling older lld accepts too); ThinLTO adds one per module.

option(FB_LTO_SEED_REUSE "Link the layout seeds of an LTO build from the main link's LTO objects" ON)

set(fb_lto_seed_reuse OFF)
if(FB_LTO_SEED_REUSE AND NOT FB_LTO STREQUAL "off" AND fb_layout_seeds)
  if(CMAKE_VERSION VERSION_LESS 3.21)
    message(STATUS "flagbench: reusing LTO objects for layout seeds needs CMake 3.21 "
                   "(C_LINKER_LAUNCHER); each seed gets its own LTO link")
  elseif(FB_FAMILY STREQUAL "gcc")
    execute_process(COMMAND ${CMAKE_C_COMPILER} -print-prog-name=lto-wrapper
                    OUTPUT_VARIABLE fb_real_lto_wrapper OUTPUT_STRIP_TRAILING_WHITESPACE)
    if(IS_ABSOLUTE "${fb_real_lto_wrapper}" AND EXISTS "${fb_real_lto_wrapper}")
      set(fb_lto_seed_reuse ON)
    else()
      message(WARNING "flagbench: ${CMAKE_C_COMPILER} -print-prog-name=lto-wrapper gave "
                      "'${fb_real_lto_wrapper}', not a file; each layout seed gets its own LTO link")
    endif()
  else()
    set(fb_lto_seed_reuse ON)
  endif()
endif()

# The launcher runs once per seed link, so it starts lean: the interpreter
# itself, not a wrapper such as a pyenv shim (which costs several times
# Python's own start), and with -S, as the helper needs the standard library
# only and site-packages' .pth files can take longer to load than it runs.
if(fb_lto_seed_reuse)
  execute_process(COMMAND "${Python3_EXECUTABLE}" -c "import sys; print(sys.executable)"
                  OUTPUT_VARIABLE fb_lto_python OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT EXISTS "${fb_lto_python}")
    set(fb_lto_python "${Python3_EXECUTABLE}")
  endif()
endif()

# Makes the main link of `main` keep its LTO objects.
function(fb_lto_keep_objects main)
  if(NOT fb_lto_seed_reuse)
    return()
  endif()
  set(dir "${CMAKE_BINARY_DIR}/lto-seeds/${main}")
  if(FB_FAMILY STREQUAL "gcc")
    set(keep "'${PROJECT_SOURCE_DIR}/cmake/fb_gcc_lto_keep.sh' '${dir}/objects' '${fb_real_lto_wrapper}'")
    file(GENERATE OUTPUT "${dir}/gcc-B/lto-wrapper"
      CONTENT "#!/bin/sh\nexec /bin/sh ${keep} \"$@\"\n"
      FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
                       WORLD_READ WORLD_EXECUTE)
    target_link_options(${main} PRIVATE "-B${dir}/gcc-B/")
  else()
    target_link_options(${main} PRIVATE "-Wl,--plugin-opt=obj-path=${dir}/objects/lto.o")
  endif()
  # Objects of an earlier link (another module count) must not look like this one's.
  add_custom_command(TARGET ${main} PRE_LINK
    COMMAND "${CMAKE_COMMAND}" -E rm -rf "${dir}/objects"
    COMMAND "${CMAKE_COMMAND}" -E make_directory "${dir}/objects"
    VERBATIM)
endfunction()

# Links seed target `seed_target` (layout seed `seed` of kernel `kernel`,
# family/name) from the objects the link of `main` (the file main_file) kept.
function(fb_lto_seed_from seed_target main main_file kernel seed)
  if(NOT fb_lto_seed_reuse)
    return()
  endif()
  set(dir "${CMAKE_BINARY_DIR}/lto-seeds/${main}")
  if(FB_FAMILY STREQUAL "gcc")
    set(insert at-first-ir)   # GNU ld adds the LTO output where the first IR object was
  else()
    set(insert at-end)        # lld reads it after every input file
  endif()
  set(launcher "${fb_lto_python}" -S "${PROJECT_SOURCE_DIR}/scripts/lib/lto_seed_link.py"
      --kernel "${kernel}" --seed ${seed} --main "${main_file}" --objects "${dir}/objects"
      --marker "${dir}/seed${seed}.txt" --insert ${insert} --)
  set_target_properties(${seed_target} PROPERTIES
    C_LINKER_LAUNCHER "${launcher}"
    # Relinked whenever the main binary is, since its objects are then new.
    LINK_DEPENDS "${main_file}")
  add_dependencies(${seed_target} ${main})
endfunction()
