#!/usr/bin/env bash
# cmake --install puts the binary, the man page (version filled in) and the three shell
# completions where their tools look for them.
. "$SRC_DIR/tests/cli/lib.sh"
: "${BUILD_DIR:?set BUILD_DIR to the build tree}"

# expect_file PATH: an installed regular, non-empty file (under $prefix).
expect_file() {
    checks=$((checks + 1))
    [ -f "$prefix/$1" ] && [ -s "$prefix/$1" ] || fail "not installed: $1"
}
# cmake --install into prefix/.
fixture_installed() {
    prefix=$WORK/prefix
    unset DESTDIR
    out=$(cmake --install "$BUILD_DIR" --prefix "$prefix" 2>&1)
    status=$?
    err=$out
    expect_status 0
}

case_binary() {
    fixture installed
    prefix=$WORK/prefix
    expect_file bin/claimreg
    checks=$((checks + 1))
    [ -x "$prefix/bin/claimreg" ] || fail "bin/claimreg is not executable"
    expect_eq "$("$prefix/bin/claimreg" --version | head -n1)" "$("$CLAIMREG" --version | head -n1)" "installed --version"
}

case_man_page() {
    fixture installed
    prefix=$WORK/prefix
    man_page=share/man/man1/claimreg.1
    expect_file "$man_page"
    version=$("$CLAIMREG" --version | sed -nE 's/^claimreg ([^ ]+).*/\1/p')
    expect_eq "$(sed -n '1,3{/^\.TH /p}' "$prefix/$man_page" | grep -c "claimreg $version")" 1 "version $version in .TH"
    checks=$((checks + 1))
    grep -q '@PROJECT_VERSION@' "$prefix/$man_page" && fail "man page still has @PROJECT_VERSION@"
}

case_completions() {
    fixture installed
    prefix=$WORK/prefix
    expect_file share/bash-completion/completions/claimreg
    expect_file share/zsh/vendor-completions/_claimreg
    expect_file share/fish/vendor_completions.d/claimreg.fish
    expect_eq "$(cat "$prefix/share/bash-completion/completions/claimreg")" \
        "$(cat "$SRC_DIR/completions/claimreg.bash")" "installed bash completion"
    expect_eq "$(head -n1 "$prefix/share/zsh/vendor-completions/_claimreg")" "#compdef claimreg" \
        "installed zsh completion"
}

finish
