# The Debian package: cpack -G DEB from the build that made $CAIRN (nothing is
# rebuilt), its control fields and contents, then unpacked into a scratch
# root with dpkg -x: the installed binary
# prints its version, backs up and restores with the installed example YAML
# (its paths pointed here), the installed completion and man pages work, and
# systemd-analyze verifies the unit. Then, as root on a machine where cairn
# is not installed (CI's fresh machine), dpkg -i for real: the installed
# /usr/bin/cairn backs up and restores, and dpkg --purge removes it again.
source "$CAIRN_E2E_LIB"
build=$(dirname "$CAIRN")
for tool in cpack dpkg-deb dpkg-shlibdeps; do
  command -v $tool > /dev/null || { echo "SKIP: $tool is missing"; exit 77; }
done
[ -f "$build/CPackConfig.cmake" ] || { echo "SKIP: no CPackConfig.cmake in $build"; exit 77; }

note "cpack -G DEB"
run 0 cpack -G DEB -B "$T/pkg" --config "$build/CPackConfig.cmake"
deb=$(ls "$T"/pkg/cairn_*_*.deb)
[ -f "$deb" ] || fail "no package: $(cat "$T/out")"

note "control fields"
dpkg-deb -f "$deb" Package Version Architecture Depends > "$T/control"
grep -q "^Package: cairn$" "$T/control" || fail "$(cat "$T/control")"
grep -q "^Version: $("$CAIRN" --version | awk '{print $2}')$" "$T/control" || fail "version: $(cat "$T/control")"
for dep in libcaf-core0.17 libbotan-2-19 libyaml-cpp0.7 libsystemd0 libssh-4 libcurl4 libmicrohttpd12 libsqlite3-0 libzstd1 liburing2; do
  grep -q "^Depends:.*\b$dep\b" "$T/control" || fail "Depends lacks $dep: $(cat "$T/control")"
done
# Every dependency is satisfiable here: what dpkg -i would check.
for dep in $(sed -n 's/^Depends: //p' "$T/control" | tr ',' '\n' | awk '{print $1}'); do
  dpkg-query -W -f='${Status}' "$dep" 2> /dev/null | grep -q "install ok installed" || fail "dependency $dep is not installable here"
done
dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles > "$T/conffiles"
[ "$(cat "$T/conffiles")" = /etc/cairn/cairn.yaml ] || fail "conffiles: $(cat "$T/conffiles")"

note "contents"
dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|' > "$T/contents"
for f in /usr/bin/cairn /lib/systemd/system/cairn.service /etc/cairn/cairn.yaml /usr/share/man/man1/cairn.1 \
         /usr/share/man/man1/cairn-backup.1 /usr/share/man/man1/cairn-key-add.1 /usr/share/man/man5/cairn.yaml.5 \
         /usr/share/bash-completion/completions/cairn /usr/share/zsh/vendor-completions/_cairn /usr/share/doc/cairn/README.md; do
  grep -qx "$f" "$T/contents" || fail "the package lacks $f"
done
grep -q "/etc/systemd/system/.*wants" "$T/contents" && fail "the unit is enabled by the package"

note "installed into a scratch root"
dpkg -x "$deb" "$T/root"
installed=$T/root/usr/bin/cairn
run 0 "$installed" --version
grep -q "^cairn [0-9]" "$T/out" || fail "$(cat "$T/out")"
grep -q "^ExecStart=/usr/bin/cairn -c /etc/cairn/cairn.yaml daemon$" "$T/root/lib/systemd/system/cairn.service" \
  || fail "the unit does not run the packaged binary"
run 0 "$installed" -c "$T/root/etc/cairn/cairn.yaml" config check

note "one backup and restore with the installed binary and example YAML"
mkdir -p "$T/src/docs"
head -c 300000 /dev/urandom > "$T/src/docs/a.bin"
echo hello > "$T/src/b.txt"
sed -e "s|/var/lib/cairn|$T/state|; s|/etc/cairn/cairn.key|$T/cairn.key|; s|/mnt/usb/cairn|$T/repo|; s|path: /home|path: $T/src|" \
  "$T/root/etc/cairn/cairn.yaml" > "$T/cairn.yaml"
run 0 "$installed" -q -c "$T/cairn.yaml" init
run 0 "$installed" -q -c "$T/cairn.yaml" backup
run 0 "$installed" -q -c "$T/cairn.yaml" restore latest --to "$T/r"
diff -r "$T/src" "$T/r/src" || fail "restored tree differs"

note "the installed completion and man pages"
mkdir -p "$T/bin" && ln -s "$installed" "$T/bin/cairn"
got=$(PATH="$T/bin:$PATH" bash -c 'source "$1"; COMP_WORDS=(cairn -c "$2" backup ""); COMP_CWORD=4; _cairn; echo "${COMPREPLY[*]}"' \
  _ "$T/root/usr/share/bash-completion/completions/cairn" "$T/cairn.yaml")
[ "$got" = home ] || fail "installed completion offers '$got'"
if command -v mandoc > /dev/null; then
  mandoc -T lint -W warning "$T"/root/usr/share/man/man*/* > "$T/lint" 2>&1 || true
  [ ! -s "$T/lint" ] || fail "$(cat "$T/lint")"
fi

if command -v systemd-analyze > /dev/null; then
  note "systemd-analyze verify (ExecStart pointed at the extracted binary)"
  sed "s|/usr/bin/cairn|$installed|" "$T/root/lib/systemd/system/cairn.service" > "$T/cairn.service"
  systemd-analyze verify "$T/cairn.service" > "$T/verify" 2>&1 || fail "systemd-analyze verify: $(cat "$T/verify")"
  [ ! -s "$T/verify" ] || fail "systemd-analyze verify warns: $(cat "$T/verify")"
fi
note "dpkg -i on this machine, then purged (root, and nothing of cairn installed here already)"
if [ "$(id -u)" = 0 ] && ! dpkg-query -W -f='${Status}' cairn 2> /dev/null | grep -q installed &&
   [ ! -e /usr/bin/cairn ] && [ ! -e /etc/cairn ]; then
  at_exit "dpkg --purge cairn > /dev/null 2>&1 || true"
  run 0 dpkg -i "$deb"
  dpkg-query -W -f='${Status}' cairn | grep -q "install ok installed" || fail "dpkg -i did not install cairn"
  [ -f /etc/cairn/cairn.yaml ] || fail "no /etc/cairn/cairn.yaml"
  [ ! -e /etc/systemd/system/multi-user.target.wants/cairn.service ] || fail "the unit was enabled"
  run 0 /usr/bin/cairn --version
  sed -i "s|$T/state|$T/state-installed|; s|$T/repo|$T/repo-installed|" "$T/cairn.yaml"
  run 0 /usr/bin/cairn -q -c "$T/cairn.yaml" init
  run 0 /usr/bin/cairn -q -c "$T/cairn.yaml" backup
  run 0 /usr/bin/cairn -q -c "$T/cairn.yaml" restore latest --to "$T/r-installed"
  diff -r "$T/src" "$T/r-installed/src" || fail "restored tree differs (installed binary)"
  if command -v man > /dev/null; then run 0 man -w cairn-backup; fi
  if command -v systemd-analyze > /dev/null; then
    systemd-analyze verify /lib/systemd/system/cairn.service > "$T/verify" 2>&1 ||
      fail "systemd-analyze verify (installed): $(cat "$T/verify")"
  fi
  run 0 dpkg --purge cairn
  [ ! -e /usr/bin/cairn ] && [ ! -e /etc/cairn/cairn.yaml ] || fail "dpkg --purge left files behind"
else
  echo "(not root, or cairn is installed here already: the scratch-root checks above stand alone)"
fi
echo PASS
