# Third-party dependencies, all from Debian 12 packages (scripts/install-deps).

# CAF 0.17: Debian ships neither a CMake config nor a .pc file.
find_path(CAF_INCLUDE_DIR caf/all.hpp REQUIRED)
find_library(CAF_CORE_LIBRARY caf_core REQUIRED)
add_library(CAF::core SHARED IMPORTED)
set_target_properties(CAF::core PROPERTIES IMPORTED_LOCATION ${CAF_CORE_LIBRARY}
                      INTERFACE_INCLUDE_DIRECTORIES ${CAF_INCLUDE_DIR}
                      INTERFACE_LINK_LIBRARIES Threads::Threads)

pkg_check_modules(BOTAN REQUIRED IMPORTED_TARGET botan-2)
pkg_check_modules(TSS2 REQUIRED IMPORTED_TARGET tss2-esys tss2-tctildr tss2-mu tss2-rc)
pkg_check_modules(MHD REQUIRED IMPORTED_TARGET libmicrohttpd)
pkg_check_modules(SYSTEMD REQUIRED IMPORTED_TARGET libsystemd)
pkg_check_modules(FUSE3 REQUIRED IMPORTED_TARGET fuse3)
pkg_check_modules(URING REQUIRED IMPORTED_TARGET liburing)
find_package(zstd CONFIG REQUIRED)
find_package(SQLiteCpp CONFIG REQUIRED)
find_package(yaml-cpp CONFIG REQUIRED)
find_package(doctest CONFIG REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
find_package(nlohmann_json CONFIG REQUIRED)
find_package(libssh CONFIG REQUIRED)
find_package(CURL REQUIRED)
