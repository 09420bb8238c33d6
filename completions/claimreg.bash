# bash completion for claimreg                              -*- shell-script -*-
#
# Installed as .../bash-completion/completions/claimreg, or sourced from ~/.bashrc.
# Uses the bash-completion package's helpers when they are loaded; works without them.

_claimreg_commands='add import-csv import-xlsx check-eligibility export stats report duplicates show update withdraw erase link distinct unlink resolve signals migrate'
_claimreg_global_opts='-h --help --version --db -q --quiet --busy-timeout'
# Global options that take a value.
_claimreg_global_args='--db --busy-timeout'

# _claimreg_opts COMMAND: the options of COMMAND.
_claimreg_opts() {
    case $1 in
    add)
        echo '--child-first-name --child-name-prefix --child-last-name --child-birth-date' \
             '--country --postcode --house-number --platform --first-use --last-use' \
             '--registrant-name --registrant-email --registrant-phone --registrant-relation' \
             '--consent --registered-at --external-ref --json'
        ;;
    import-csv)
        echo '--delimiter --encoding --rejects --json --dry-run --strict --no-update'
        ;;
    import-xlsx)
        echo '--sheet --rejects --json --dry-run --strict --no-update'
        ;;
    check-eligibility)
        echo '--all --rules --as-of --json --child-birth-date --first-use --last-use' \
             '--country --postcode --platform --registrant-relation --registered-at --no-consent'
        ;;
    export)
        echo '--format -o --output --pseudonymize --delimiter --bom --verdict --since' \
             '--include-withdrawn --encrypt-to --armor --trust-key'
        ;;
    stats)
        echo '--by --verdict --format --chart --count'
        ;;
    report)
        echo '-o --output --rules --as-of --min-count'
        ;;
    duplicates)
        echo '--min-score --since --limit --format --show'
        ;;
    show)
        echo '--json'
        ;;
    update)
        echo '--child-first-name --child-name-prefix --child-last-name --child-birth-date' \
             '--country --postcode --house-number --platform --first-use --last-use' \
             '--registrant-name --registrant-email --registrant-phone --registrant-relation' \
             '--consent --no-consent --registered-at --external-ref'
        ;;
    withdraw)
        echo '--opt-out'
        ;;
    erase)
        echo '-f --force'
        ;;
    resolve)
        echo '--delimiter --encoding'
        ;;
    signals)
        echo '--json --max-children --burst'
        ;;
    esac
}

# _claimreg_takes_arg COMMAND OPTION: whether OPTION (of COMMAND or global) takes a value.
_claimreg_takes_arg() {
    case " $_claimreg_global_args " in *" $2 "*) return 0 ;; esac
    case $1:$2 in
    add:--consent | add:--json) return 1 ;;
    add:--*) return 0 ;;
    update:--consent | update:--no-consent) return 1 ;;
    update:--*) return 0 ;;
    import-csv:--delimiter | import-csv:--encoding | import-csv:--rejects) return 0 ;;
    import-xlsx:--sheet | import-xlsx:--rejects) return 0 ;;
    check-eligibility:--all | check-eligibility:--json | check-eligibility:--no-consent) return 1 ;;
    check-eligibility:--*) return 0 ;;
    export:--format | export:-o | export:--output | export:--delimiter | export:--verdict) return 0 ;;
    export:--since | export:--encrypt-to | export:--trust-key) return 0 ;;
    stats:--by | stats:--verdict | stats:--format) return 0 ;;
    report:-o | report:--output | report:--rules | report:--as-of | report:--min-count) return 0 ;;
    resolve:--delimiter | resolve:--encoding | signals:--max-children | signals:--burst | \
    duplicates:--min-score | duplicates:--since | duplicates:--limit | duplicates:--format) return 0 ;;
    esac
    return 1
}

# _claimreg_key_fingerprints: the primary key fingerprints of the user's GnuPG keyring.
_claimreg_key_fingerprints() {
    command -v gpg >/dev/null 2>&1 || return 0
    gpg --batch --with-colons --list-keys 2>/dev/null |
        awk -F: '$1 == "pub" { primary = 1; next } primary && $1 == "fpr" { print $10; primary = 0 }'
}

# _claimreg_files: file names for the word being completed.
_claimreg_files() {
    if declare -F _filedir >/dev/null 2>&1; then
        _filedir
    else
        compopt -o filenames 2>/dev/null
        local IFS=$'\n'
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
}

_claimreg() {
    local cur prev words cword split=false
    if declare -F _init_completion >/dev/null 2>&1; then
        _init_completion -s || return
    else
        words=("${COMP_WORDS[@]}")
        cword=$COMP_CWORD
        cur=${COMP_WORDS[COMP_CWORD]}
        prev=${COMP_WORDS[COMP_CWORD - 1]}
        # `--opt=value` split by COMP_WORDBREAKS into `--opt` `=` `value`.
        if [[ $cur == = ]]; then
            cur=''
            split=true
        elif [[ $prev == = && $cword -ge 2 ]]; then
            prev=${COMP_WORDS[COMP_CWORD - 2]}
            split=true
        elif [[ $cur == --*=* ]]; then
            prev=${cur%%=*}
            cur=${cur#*=}
            split=true
        fi
    fi
    COMPREPLY=()

    # The command: the first word that is neither an option nor an option's value.
    local command='' i=1 word
    while ((i < cword)); do
        word=${words[i]}
        case $word in
        --*=*) ;;
        =) ((i++)) ;; # `--opt` `=` `value`: skip the value
        -*)
            if [[ ${words[i + 1]-} != = ]] && _claimreg_takes_arg "$command" "$word"; then
                ((i++))
            fi
            ;;
        *)
            if [[ -z $command ]]; then
                command=$word
            fi
            ;;
        esac
        ((i++))
    done

    # The value of an option.
    case $prev in
    --db | --rejects | -o | --output)
        _claimreg_files
        return
        ;;
    --format)
        case $command in
        export) COMPREPLY=($(compgen -W 'csv json ndjson xlsx' -- "$cur")) ;;
        stats) COMPREPLY=($(compgen -W 'table csv tsv json' -- "$cur")) ;;
        esac
        return
        ;;
    --rules)
        COMPREPLY=($(compgen -W 'ruling-2024 as-filed' -- "$cur"))
        return
        ;;
    --verdict)
        COMPREPLY=($(compgen -W 'eligible ineligible review' -- "$cur"))
        return
        ;;
    --by)
        COMPREPLY=($(compgen -W 'state verdict platform age-band birth-year postcode-area
            registration-month relation source' -- "$cur"))
        return
        ;;
    --encoding)
        COMPREPLY=($(compgen -W 'utf-8 windows-1252' -- "$cur"))
        return
        ;;
    --delimiter)
        # `;` must reach claimreg quoted.
        local d
        for d in , '\;' tab; do
            [[ $d == "$cur"* || ($d == '\;' && $cur == ';') ]] && COMPREPLY+=("$d")
        done
        return
        ;;
    --encrypt-to | --trust-key)
        COMPREPLY=($(compgen -W "$(_claimreg_key_fingerprints)" -- "$cur"))
        return
        ;;
    --platform)
        COMPREPLY=($(compgen -W 'tiktok musical.ly' -- "$cur"))
        return
        ;;
    --registrant-relation)
        COMPREPLY=($(compgen -W 'parent guardian self' -- "$cur"))
        return
        ;;
    esac
    if [[ $split == true ]] || { [[ $prev == -* ]] && _claimreg_takes_arg "$command" "$prev"; }; then
        return # a free value: a name, a date, a number
    fi

    if [[ -z $command ]]; then
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "$_claimreg_global_opts" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$_claimreg_commands" -- "$cur"))
        fi
        return
    fi

    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$(_claimreg_opts "$command") $_claimreg_global_opts" -- "$cur"))
        return
    fi
    case $command in
    import-csv | import-xlsx | resolve) _claimreg_files ;;
    esac
}

complete -F _claimreg claimreg

# ex: filetype=sh
