# cmake/Packaging.cmake - install layout beyond the binary and its data, and
# the Debian package (`cpack -G DEB` in the build directory).
#
# Layout (FHS, prefix /usr; `cmake --install` writes the same):
#   /usr/bin/convene                       the server and its commands
#   /usr/share/convene/{sql,web,mail-templates}
#                                          found by the binary at
#                                          <bin>/../share/convene
#   /usr/lib/systemd/system/convene.service
#   /etc/convene/convene.env               settings (a conffile)
#   /usr/share/doc/convene/                operations.md, README.md and the
#                                          nginx site and alert rules
# Configure with -DCMAKE_INSTALL_PREFIX=/usr for the package: the unit is
# written with the prefix's paths, and the package installs under the same
# prefix (GNUInstallDirs turns sysconfdir into /etc only for /usr).

# The unit in deploy/ names the /usr paths; rewrite them for other prefixes.
file(READ ${CMAKE_CURRENT_SOURCE_DIR}/deploy/convene.service convene_unit)
string(REPLACE "/usr/bin/convene" "${CMAKE_INSTALL_FULL_BINDIR}/convene" convene_unit
               "${convene_unit}")
string(REPLACE "/etc/convene/" "${CMAKE_INSTALL_FULL_SYSCONFDIR}/convene/" convene_unit
               "${convene_unit}")
string(REPLACE "/usr/share/doc/convene/" "${CMAKE_INSTALL_FULL_DOCDIR}/" convene_unit
               "${convene_unit}")
file(GENERATE OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/convene.service CONTENT "${convene_unit}")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
             ${CMAKE_CURRENT_SOURCE_DIR}/deploy/convene.service)

install(FILES ${CMAKE_CURRENT_BINARY_DIR}/convene.service DESTINATION lib/systemd/system)
install(FILES deploy/convene.env DESTINATION ${CMAKE_INSTALL_FULL_SYSCONFDIR}/convene
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)
install(FILES docs/operations.md README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES deploy/nginx.conf deploy/convene-alerts.yml deploy/postgres-exporter-queries.yml
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME convene)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "Convene")
set(CPACK_PACKAGE_CONTACT "Convene maintainers <convene@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "registration and awards-submission server for networks of cities")
set(CPACK_PACKAGE_DESCRIPTION
    "Convene serves event registration with capacity and waiting lists, and the \
submission, jury and public vote of awards, from one PostgreSQL database.")
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION web)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# The libraries `ldd convene` names, by their Debian 12 packages (dpkg -S),
# plus the fonts certificates are drawn with (fonts-noto-core, fonts-noto-cjk),
# curl for the unit's readiness check and adduser for postinst.
set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "libc6 (>= 2.34), libcivetweb1 (>= 1.15), libpq5 (>= 15), libsodium23 (>= 1.0.18), libcurl4 (>= 7.88), libjansson4 (>= 2.14), libcairo2 (>= 1.16), libpango-1.0-0 (>= 1.50), libpangocairo-1.0-0 (>= 1.50), libqrencode4 (>= 4.1), librsvg2-2 (>= 2.54), fonts-noto-core, fonts-noto-cjk, curl, adduser")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "postgresql (>= 15)")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "nginx")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_CURRENT_SOURCE_DIR}/deploy/debian/postinst ${CMAKE_CURRENT_SOURCE_DIR}/deploy/debian/prerm
    ${CMAKE_CURRENT_SOURCE_DIR}/deploy/debian/postrm ${CMAKE_CURRENT_SOURCE_DIR}/deploy/debian/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
include(CPack)
