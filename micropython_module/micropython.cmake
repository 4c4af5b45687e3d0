# User C module `tinyml` for a firmware build (CMake ports: esp32, rp2, ...).
#
#   make -C ports/<port> USER_C_MODULES=/path/to/micropython_module/micropython.cmake
#
# The firmware needs memoryview, the array module and float support.

add_library(usermod_tinyml INTERFACE)

file(GLOB TINYML_ENGINE_SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/engine/*.c
    ${CMAKE_CURRENT_LIST_DIR}/engine/ops/*.c
    ${CMAKE_CURRENT_LIST_DIR}/engine/ops/arm/*.c
    ${CMAKE_CURRENT_LIST_DIR}/engine/ops/portable/*.c
)

target_sources(usermod_tinyml INTERFACE
    ${CMAKE_CURRENT_LIST_DIR}/binding/modtinyml.c
    ${TINYML_ENGINE_SOURCES}
)

target_include_directories(usermod_tinyml INTERFACE
    ${CMAKE_CURRENT_LIST_DIR}/engine
)

# Float results must be bit-exact with TFLM: no fused multiply-add, and double
# constants stay double (QuantizeMultiplier is double math on purpose).
target_compile_options(usermod_tinyml INTERFACE -ffp-contract=off -fno-single-precision-constant)

target_link_libraries(usermod INTERFACE usermod_tinyml)
