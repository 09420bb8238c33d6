#!/usr/bin/env bash
# The documentation surface follows the binary: every command and option that --help lists is in
# the man page, the three shell completions and (commands) the README; the man page is lint-clean
# and names every reason code and exit status; the completions parse and the bash one completes.
. "$SRC_DIR/tests/cli/lib.sh"
: "${BUILD_DIR:?set BUILD_DIR to the build tree}"

man_page=$BUILD_DIR/man/claimreg.1
bash_comp=$SRC_DIR/completions/claimreg.bash
zsh_comp=$SRC_DIR/completions/_claimreg
fish_comp=$SRC_DIR/completions/claimreg.fish
readme=$SRC_DIR/README.md

# check ok|'' WHAT: counts a check; unless the first argument is `ok`, it fails with WHAT.
check() {
    checks=$((checks + 1))
    [ "$1" = ok ] && return
    failures=$((failures + 1))
    printf 'FAIL (%s:%s): %s\n' "${BASH_SOURCE[1]##*/}" "${BASH_LINENO[0]}" "$2" >&2
}

# has FILE REGEX: whether FILE has a line matching the extended REGEX.
has() { grep -Eq -- "$2" "$1"; }

for f in "$man_page" "$bash_comp" "$zsh_comp" "$fish_comp" "$readme"; do
    checks=$((checks + 1))
    [ -f "$f" ] || { fail "missing $f"; finish; }
done

# read_help: from what the binary says, the commands, the global options, the exit statuses and
# each command's options (command_options).
read_help() {
    run --help
    expect_status 0
    help=$out
    # Commands: the lines under "Subcommands:" up to the next blank line.
    mapfile -t commands < <(printf '%s\n' "$help" |
        sed -n '/^Subcommands:/,/^$/p' | sed -nE 's/^  ([a-z][a-z-]*)( .*)?$/\1/p')
    # Options: the long names on option lines (indented, starting with a dash).
    long_options() { sed -nE 's/^ +(-[A-Za-z0-9],)?--([a-z][a-z0-9-]*).*/\2/p' | sort -u; }
    mapfile -t global_options < <(printf '%s\n' "$help" | sed -n '/^Options:/,/^$/p' | long_options)
    # Exit statuses: the lines under "Exit status:".
    mapfile -t statuses < <(printf '%s\n' "$help" |
        sed -n '/^Exit status:/,/^$/p' | sed -nE 's/^ +([0-9]+) .*/\1/p')

    expect_eq "$([ "${#commands[@]}" -ge 5 ] && echo yes)" yes "commands parsed from --help (${commands[*]})"
    expect_eq "$([ "${#global_options[@]}" -ge 5 ] && echo yes)" yes "global options parsed from --help (${global_options[*]})"
    expect_eq "$([ "${#statuses[@]}" -ge 10 ] && echo yes)" yes "exit statuses parsed from --help (${statuses[*]})"

    declare -gA command_options
    for cmd in "${commands[@]}"; do
        run "$cmd" --help
        expect_status 0
        command_options[$cmd]=$(printf '%s\n' "$out" | long_options | tr '\n' ' ')
        expect_eq "$([ -n "${command_options[$cmd]}" ] && echo yes)" yes "options parsed from '$cmd --help'"
    done
}
# man_has_option NAME: `\-\-name` (hyphens escaped) in the man page, not followed by more name.
man_has_option() {
    local escaped=${1//-/\\\\-}
    has "$man_page" "\\\\-\\\\-${escaped}([^a-z0-9\\\\]|\\\\[^-]|\$)"
}
# word_in FILE TEXT: TEXT in FILE, not inside a longer option or command name.
word_in() {
    local quoted
    quoted=$(printf '%s' "$1" | sed 's/[.[\*^$]/\\&/g')
    has "$2" "(^|[^a-z0-9-])${quoted}([^a-z0-9-]|\$)"
}
# complete_bash PRELUDE WORDS...: COMPREPLY, one per line, for the command line WORDS (the last
# one being completed), in a fresh bash that ran PRELUDE and sourced the completion.
complete_bash() {
    local prelude=$1
    shift
    bash --norc --noprofile -c '
        eval "$1"
        . "$2" || exit 1
        shift 2
        COMP_WORDS=("$@")
        COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
        COMP_LINE="${COMP_WORDS[*]}"
        COMP_POINT=${#COMP_LINE}
        COMPREPLY=()
        fn=$(complete -p claimreg | sed -nE "s/.*-F ([^ ]+).*/\1/p")
        [ -n "$fn" ] || exit 1
        "$fn" claimreg "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
        printf "%s\n" "${COMPREPLY[@]}"' bash "$prelude" "$bash_comp" "$@" 2>&1
}

# expect_completion PRELUDE EXPECTED WORDS...: EXPECTED is among the completions of WORDS.
expect_completion() {
    local prelude=$1 expected=$2 got
    shift 2
    got=$(complete_bash "$prelude" "$@")
    checks=$((checks + 1))
    grep -qxF -- "$expected" <<< "$got" ||
        fail "bash completion of [$*] lacks [$expected]${prelude:+ (with bash-completion)}: got [$(echo $got)]"
}

# ---- every command and option is documented and completed ------------------------------------
case_commands_and_options_documented() {
    read_help
    for cmd in "${commands[@]}"; do
        word_in "$cmd" "$bash_comp" && r=ok || r=
        check "$r" "bash completion lacks command $cmd"
        word_in "$cmd" "$zsh_comp" && r=ok || r=
        check "$r" "zsh completion lacks command $cmd"
        has "$fish_comp" "-a ${cmd}( |\$)" && r=ok || r=
        check "$r" "fish completion lacks command $cmd (-a $cmd)"
        has "$man_page" "^\\.SS \"?${cmd//-/\\\\-}\"?\$" && r=ok || r=
        check "$r" "man page lacks a .SS section for command $cmd"
        has "$readme" "claimreg ${cmd}( |\$)" && r=ok || r=
        check "$r" "README.md never shows 'claimreg $cmd'"
    done

    for opt in "${global_options[@]}"; do
        man_has_option "$opt" && r=ok || r=
        check "$r" "man page lacks global option \\-\\-$opt"
        word_in "--$opt" "$bash_comp" && r=ok || r=
        check "$r" "bash completion lacks global option --$opt"
        word_in "--$opt" "$zsh_comp" && r=ok || r=
        check "$r" "zsh completion lacks global option --$opt"
        has "$fish_comp" "-l $opt( |\$)" && r=ok || r=
        check "$r" "fish completion lacks global option -l $opt"
    done

    for cmd in "${commands[@]}"; do
        for opt in ${command_options[$cmd]}; do
            man_has_option "$opt" && r=ok || r=
            check "$r" "man page lacks '$cmd' option \\-\\-$opt"
            word_in "--$opt" "$bash_comp" && r=ok || r=
            check "$r" "bash completion lacks '$cmd' option --$opt"
            word_in "--$opt" "$zsh_comp" && r=ok || r=
            check "$r" "zsh completion lacks '$cmd' option --$opt"
            has "$fish_comp" "__fish_seen_subcommand_from ${cmd}'.*" && r=ok || r=
            check "$r" "fish completion has no options for '$cmd'"
            # The fish line of this option sits in the command's block: `set -l c '... CMD'`.
            block=$(sed -n "/__fish_seen_subcommand_from ${cmd}'\$/,/^set -l c /p" "$fish_comp")
            grep -Eq -- "-l ${opt}( |\$)" <<< "$block" ||
                grep -Eq -- "^complete -c claimreg( -s [a-z])? -l ${opt}( |\$)" "$fish_comp" && r=ok || r=
            check "$r" "fish completion lacks '$cmd' option -l $opt"
        done
    done
}

# ---- the man page ------------------------------------------------------------------------------
case_man_page() {
    read_help
    if command -v groff >/dev/null 2>&1; then
        lint=$(groff -man -ww -z "$man_page" 2>&1)
        expect_eq "$lint" "" "groff -man -ww -z warnings"
    else
        fail "groff is not installed (scripts/install-deps.sh installs groff-base)"
    fi
    version=$("$CLAIMREG" --version | sed -nE 's/^claimreg ([^ ]+).*/\1/p')
    has "$man_page" "^\\.TH CLAIMREG 1 .*claimreg ${version//./\\.}" && r=ok || r=
    check "$r" "man page .TH does not carry version $version"
    grep -q '@[A-Z_]*@' "$man_page" && r= || r=ok
    check "$r" "man page has an unsubstituted @VARIABLE@"
    for section in NAME SYNOPSIS DESCRIPTION OPTIONS COMMANDS "INPUT COLUMNS" DUPLICATES ELIGIBILITY \
        "EXIT STATUS" ENVIRONMENT FILES EXAMPLES "SEE ALSO"; do
        has "$man_page" "^\\.SH \"?${section}\"?\$" && r=ok || r=
        check "$r" "man page lacks section $section"
    done

    # Every reason code of the eligibility rules, and every rule set.
    mapfile -t reasons < <(sed -n '/^enum class Reason/,/^};/p' "$SRC_DIR/include/claimreg/eligibility.hpp" |
        sed -nE 's/^ +([a-z_]+),?.*/\1/p')
    expect_eq "$([ "${#reasons[@]}" -ge 9 ] && echo yes)" yes "reason codes parsed from eligibility.hpp (${reasons[*]})"
    for reason in "${reasons[@]}"; do
        has "$man_page" "^\\.B ${reason}\$" && r=ok || r=
        check "$r" "man page does not describe reason code $reason (.B $reason)"
    done
    mapfile -t rule_sets < <(grep -oE '^ +\{"[a-z0-9-]+", PeriodRule::' "$SRC_DIR/src/claimreg/eligibility.cpp" |
        sed -E 's/^ +\{"([^"]+)".*/\1/')
    expect_eq "$([ "${#rule_sets[@]}" -ge 2 ] && echo yes)" yes "rule sets parsed from eligibility.cpp"
    for rs in "${rule_sets[@]}"; do
        has "$man_page" "^\\.B ${rs//-/\\\\-}\$" && r=ok || r=
        check "$r" "man page does not describe rule set $rs"
        word_in "$rs" "$bash_comp" && word_in "$rs" "$zsh_comp" && word_in "$rs" "$fish_comp" && r=ok || r=
        check "$r" "a completion does not offer rule set $rs"
    done

    # Every exit status, in the EXIT STATUS section.
    exit_section=$(sed -n '/^\.SH EXIT STATUS/,/^\.SH /p' "$man_page")
    for s in "${statuses[@]}"; do
        grep -qx "\\.B $s" <<< "$exit_section" && r=ok || r=
        check "$r" "man page EXIT STATUS lacks $s"
    done
    has "$man_page" "CLAIMREG_DB" && has "$man_page" "^\\.BR sqlite3 \\(1\\)" && r=ok || r=
    check "$r" "man page lacks CLAIMREG_DB or sqlite3(1)"
}

# ---- the completions parse ---------------------------------------------------------------------
case_completions_parse() {
    bash -n "$bash_comp" 2>"$WORK/.bash-n" && r=ok || r=
    check "$r" "bash -n completions/claimreg.bash: $(cat "$WORK/.bash-n")"
    if command -v zsh >/dev/null 2>&1; then
        zsh -n "$zsh_comp" 2>"$WORK/.zsh-n" && r=ok || r=
        check "$r" "zsh -n completions/_claimreg: $(cat "$WORK/.zsh-n")"
    fi
    if command -v fish >/dev/null 2>&1; then
        fish -n "$fish_comp" 2>"$WORK/.fish-n" && r=ok || r=
        check "$r" "fish -n completions/claimreg.fish: $(cat "$WORK/.fish-n")"
    fi
    head -n1 "$zsh_comp" | grep -qx '#compdef claimreg' && r=ok || r=
    check "$r" "completions/_claimreg does not start with '#compdef claimreg'"
}

# ---- the bash completion completes -------------------------------------------------------------
case_bash_completion_completes() {
    read_help
    preludes=("")
    for f in /usr/share/bash-completion/bash_completion /etc/bash_completion; do
        if [ -r "$f" ]; then
            preludes+=(". $f")
            break
        fi
    done
    for prelude in "${preludes[@]}"; do
        expect_completion "$prelude" export claimreg exp
        expect_completion "$prelude" --format claimreg export --fo
        expect_completion "$prelude" age-band claimreg stats --by ""
        expect_completion "$prelude" export claimreg --db x.db ex
        expect_completion "$prelude" ndjson claimreg export --format ""
        expect_completion "$prelude" tsv claimreg stats --format ""
        expect_completion "$prelude" as-filed claimreg check-eligibility --rules ""
        expect_completion "$prelude" review claimreg export --verdict ""
        expect_completion "$prelude" windows-1252 claimreg import-csv --encoding ""
        expect_completion "$prelude" musical.ly claimreg add --platform ""
        expect_completion "$prelude" guardian claimreg add --registrant-relation ""
        # Every option of every command, and the global ones after a command.
        for cmd in "${commands[@]}"; do
            got=$(complete_bash "$prelude" claimreg "$cmd" --)
            for opt in ${command_options[$cmd]} "${global_options[@]}"; do
                checks=$((checks + 1))
                grep -qxF -- "--$opt" <<< "$got" ||
                    fail "bash completion of [claimreg $cmd --] lacks --$opt"
            done
        done
    done
    # File names for import-csv's FILE.
    touch "$WORK/aanmeldingen.csv"
    expect_completion "" "$WORK/aanmeldingen.csv" claimreg import-csv "$WORK/aanm"
}

finish
