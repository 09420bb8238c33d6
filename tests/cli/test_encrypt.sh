#!/usr/bin/env bash
# claimreg export --encrypt-to: OpenPGP output that gpg decrypts to the plaintext export byte
# for byte (every format, filters, --pseudonymize, --armor, two recipients); the temporary file
# never holds plaintext; keys are checked before anything is read or written (unknown,
# ambiguous, expired, revoked, encryption-incapable, not valid unless pinned with --trust-key);
# binary ciphertext is refused on a terminal; no message names a key's user id.
. "$SRC_DIR/tests/cli/lib.sh"
: "${BUILD_DIR:?set BUILD_DIR to the build tree}"
GEN="$BUILD_DIR/bench/gen_registrations"
[ -x "$GEN" ] || { echo "no generator at $GEN" >&2; exit 1; }
if ! command -v gpg >/dev/null 2>&1 || ! command -v gpgconf >/dev/null 2>&1; then
    echo "SKIP: gpg is not installed (scripts/install-deps.sh installs gnupg)"
    exit 77
fi
umask 022

# Two keyrings: A (the foundation's, with Alice's key pair) and B (Bob's key pair), in each case's
# directory (fixture keys). Every agent is stopped at the end.
at_suite_exit() {
    local h
    for h in "$SUITE_DIR"/*/gnupg-* "$SUITE_DIR"/*/empty-home "$SUITE_DIR"/.fixtures/*/gnupg-*; do
        [ -d "$h" ] && GNUPGHOME=$h gpgconf --kill all 2>/dev/null
    done
}

# g HOME ARGS...: gpg in keyring HOME, without questions or passphrases.
g() {
    local home=$1
    shift
    GNUPGHOME=$home gpg --batch --quiet --no-tty --passphrase '' --pinentry-mode loopback "$@"
}
# fpr_of HOME EMAIL: the primary key's fingerprint of the (first) key for EMAIL.
fpr_of() { GNUPGHOME=$1 gpg --batch --with-colons --list-keys "<$2>" 2>/dev/null | awk -F: '/^fpr/ { print $10; exit }'; }
# new_key HOME UID [EXPIRY [GPG-OPTIONS...]]: an ed25519 certification key with a cv25519
# encryption subkey (EXPIRY 'never' by default); prints its fingerprint.
new_key() {
    local home=$1 uid=$2 expiry=${3:-never}
    shift 3 2>/dev/null || shift $#
    g "$home" "$@" --quick-gen-key "$uid" ed25519 cert "$expiry" 2>/dev/null || fail "key $uid"
    local email=${uid#*<}
    local fpr
    fpr=$(fpr_of "$home" "${email%>}")
    g "$home" "$@" --quick-add-key "$fpr" cv25519 encr "$expiry" 2>/dev/null || fail "subkey $uid"
    printf '%s' "$fpr"
}
# decrypt HOME FILE: the plaintext of FILE, with keyring HOME's secret keys.
decrypt() { g "$1" --decrypt "$2" 2>/dev/null; }
# The user ids' names and addresses: never in a message.
PERSONAL=(Alice alice@ Bob bob@ 'Eve ' eve@ Rob rob@ Sam sam@ Carol carol@ test.invalid Tester
    Expired Revoked Signer Anna Berg anna@example.nl)

# expect_decrypts FILE PLAIN [HOME]: FILE is ciphertext that decrypts (with keyring HOME, by
# default A) to exactly the bytes of PLAIN, and holds none of PLAIN's names.
expect_decrypts() {
    checks=$((checks + 1))
    decrypt "${3:-$HOME_A}" "$1" > "$WORK/.decrypted" || { fail "$1 does not decrypt with ${3:-$HOME_A}"; return; }
    cmp -s "$WORK/.decrypted" "$2" || fail "$1 decrypts to other bytes than $2"
    checks=$((checks + 1))
    # Words of six bytes or more: a shorter one turns up in random ciphertext now and then.
    ! grep -aq -e Visser -e child_first_name -e '"external_ref"' -e birth_year "$1" || fail "$1 holds plaintext"
}
# expect_only_files DIR NAMES: exactly these entries (hidden ones included).
expect_only_files() {
    checks=$((checks + 1))
    local got
    got=$(ls -A "$1" | tr '\n' ' ')
    [ "$got" == "$2" ] || fail "files in $1: got [$got], expected [$2]"
}
# expect_no_personal_data TEXT: none of the test's names or addresses in TEXT.
expect_no_personal_data() {
    local word
    for word in "${PERSONAL[@]}"; do expect_not_contains "$1" "$word"; done
}
# refused MESSAGE ARGS...: export ARGS... -o out/enc.gpg is a usage error with exactly MESSAGE;
# yesterday's file is untouched (content and mode), no other file appears, no personal data.
refused() {
    local message=$1
    shift
    cp -p yesterday.gpg out/enc.gpg
    run export "$@" -o out/enc.gpg
    expect_status 64
    expect_err "claimreg: $message"
    expect_out ""
    expect_no_personal_data "$err"
    checks=$((checks + 1))
    cmp -s out/enc.gpg yesterday.gpg || fail "previous file changed by: export $*"
    expect_mode out/enc.gpg 644
    expect_only_files out "enc.gpg "
}
# watch_temp ARGS...: runs `export ARGS... -o watch/out` in the background and, each time its
# temporary file has grown, stops claimreg (SIGSTOP), copies the file and lets it go on. Sets
# $samples (copies taken) and $leaks (copies holding the CSV header or a JSON key: plaintext).
watch_temp() {
    rm -rf watch && mkdir watch
    "$CLAIMREG" --db big.db export "$@" -o watch/out &
    local pid=$! last=0 size f
    samples=0
    leaks=0
    while kill -0 "$pid" 2>/dev/null && [ "$samples" -lt 25 ]; do
        for f in watch/.out.tmp-*; do
            [ -f "$f" ] || continue
            size=$(stat -c %s "$f" 2>/dev/null) || continue
            [ "$size" -gt "$last" ] || continue
            kill -STOP "$pid" 2>/dev/null || break
            cp "$f" watch.sample 2>/dev/null && samples=$((samples + 1))
            kill -CONT "$pid"
            last=$size
            grep -aq -e child_first_name -e registrant_email -e '"postcode_digits"' watch.sample && leaks=$((leaks + 1))
        done
    done
    wait "$pid"
    expect_eq "$?" "0" "export $* (watched)"
    printf 'watched export %s: %d samples of the temporary file, %d with plaintext\n' "$*" "$samples" "$leaks"
}

# The keyrings gnupg-a and gnupg-b, and keys.env with the fingerprints of their keys.
fixture_keys() {
    HOME_A=$WORK/gnupg-a
    HOME_B=$WORK/gnupg-b
    mkdir -m 700 "$HOME_A" "$HOME_B"
    export GNUPGHOME=$HOME_A
    ALICE=$(new_key "$HOME_A" 'Alice Tester <alice@test.invalid>')
    BOB=$(new_key "$HOME_B" 'Bob Tester <bob@test.invalid>')
    # Bob's public key imported into A, never certified there: not valid in A.
    g "$HOME_B" --export --armor "$BOB" > bob.asc
    g "$HOME_A" --import bob.asc 2>/dev/null || fail "import of Bob's key"
    expect_eq "${#ALICE}:${#BOB}" "40:40" "fingerprints of the test keys"
    # Expired (made in 2020, valid for a day), revoked, sign-only, and two keys for one address.
    EXPIRED=$(new_key "$HOME_A" 'Eve Expired <eve@test.invalid>' 1d --faked-system-time '20200101T000000!')
    REVOKED=$(new_key "$HOME_A" 'Rob Revoked <rob@test.invalid>')
    sed 's/^:-----BEGIN/-----BEGIN/' "$HOME_A/openpgp-revocs.d/$REVOKED.rev" | g "$HOME_A" --import 2>/dev/null ||
        fail "revocation of Rob's key"
    g "$HOME_A" --quick-gen-key 'Sam Signer <sam@test.invalid>' ed25519 sign never 2>/dev/null || fail "key Sam"
    SIGNER=$(fpr_of "$HOME_A" sam@test.invalid)
    new_key "$HOME_A" 'Carol One <carol@test.invalid>' >/dev/null
    new_key "$HOME_A" 'Carol Two <carol@test.invalid>' >/dev/null
    printf 'ALICE=%s\nBOB=%s\nEXPIRED=%s\nREVOKED=%s\nSIGNER=%s\n' "$ALICE" "$BOB" "$EXPIRED" "$REVOKED" "$SIGNER" > keys.env
    for h in "$HOME_A" "$HOME_B"; do GNUPGHOME=$h gpgconf --kill all 2>/dev/null; done
    rm -f "$HOME_A"/S.* "$HOME_B"/S.*
}
# use_keys: the keyrings in this case's directory, A the default; their fingerprints.
use_keys() {
    fixture keys
    HOME_A=$WORK/gnupg-a
    HOME_B=$WORK/gnupg-b
    export GNUPGHOME=$HOME_A
    . ./keys.env
}
# 200,000 generated claimants: an export that takes long enough to be watched or cut short.
fixture_big() {
    "$GEN" --rows 200000 --seed 5 > big.csv || fail "generator"
    "$CLAIMREG" -q --db big.db import-csv big.csv || fail "import of big.csv"
}
# A small registry with names to look for.
fixture_small() {
    cat > small.csv <<'CSV'
external_ref,child_first_name,child_last_name,child_birth_date,postcode,platform,first_use,registrant_name,registrant_email,registrant_phone,registrant_relation,consent,registered_at
R1,=SUM(A1),Berg,2011-03-14,1012 AB,tiktok,2019-06-01,Anna Berg,anna@example.nl,06 12345678,parent,yes,2024-01-15T10:00:00Z
R2,Daan,"Smit, de",2000-01-01,3511 AX,tiktok,2019-06-01,Piet Smit,piet@example.nl,,parent,no,2024-02-01
R3,Mila,Visser,2012-05-05,2511 CV,musical.ly,2019-01-01,Ria Visser,ria@example.nl,,parent,yes,2024-03-01
CSV
    "$CLAIMREG" -q import-csv small.csv || fail "import of small.csv"
}
# Yesterday's export, 0644.
fixture_yesterday() {
    printf 'yesterday\n' > yesterday.gpg
    chmod 644 yesterday.gpg
}

# ---- every format and filter decrypts to the plaintext export ----------------------------------
case_every_format_decrypts() {
    use_keys
    fixture small
    mkdir out
    for args in "" "--format json" "--format ndjson" "--verdict eligible" "--pseudonymize" \
        "--pseudonymize --format json" "--include-withdrawn --verdict review,ineligible" \
        "--bom --delimiter ;" "--since 2000-01-01"; do
        # shellcheck disable=SC2086
        "$CLAIMREG" export $args -o plain.out || fail "plain export $args"
        # shellcheck disable=SC2086
        run export $args --encrypt-to "$ALICE" -o out/enc.gpg
        expect_status 0
        expect_out ""
        expect_err ""
        expect_mode out/enc.gpg 600
        expect_decrypts out/enc.gpg plain.out
        expect_only_files out "enc.gpg "
        rm out/enc.gpg
    done
    expect_eq "$(wc -l < plain.out)" "4" "lines of the last plaintext export"
}

# Binary OpenPGP (a public-key encrypted session key packet first), not compressed: the
# ciphertext is about as large as the plaintext.
# --armor: ASCII, on stdout into a pipe too; binary into a pipe is fine.
case_binary_and_armored() {
    use_keys
    fixture small
    mkdir out
    "$CLAIMREG" export -o plain.csv
    run export --encrypt-to "$ALICE" -o out/enc.gpg
    expect_status 0
    expect_eq "$(head -c 1 out/enc.gpg | od -An -tx1 | tr -d ' ')" "84" "first packet tag (PKESK, old format)"
    expect_eq "$(g "$HOME_A" --list-packets out/enc.gpg 2>/dev/null | grep -c 'compressed packet')" "0" "compressed packets"
    expect_eq "$(g "$HOME_A" --list-packets out/enc.gpg 2>/dev/null | grep -c '^:pubkey enc packet')" "1" "recipients"
    run export --armor --encrypt-to "$ALICE" -o out/enc.asc
    expect_status 0
    expect_eq "$(head -n 1 out/enc.asc)" "-----BEGIN PGP MESSAGE-----" "armored first line"
    expect_eq "$(tail -n 1 out/enc.asc)" "-----END PGP MESSAGE-----" "armored last line"
    expect_mode out/enc.asc 600
    expect_decrypts out/enc.asc plain.csv
    "$CLAIMREG" export --armor --encrypt-to "$ALICE" > stdout.asc
    expect_eq "$?" "0" "armored export to stdout"
    expect_decrypts stdout.asc plain.csv
    "$CLAIMREG" export --encrypt-to "$ALICE" | cat > piped.gpg
    expect_eq "$?" "0" "binary export into a pipe"
    expect_decrypts piped.gpg plain.csv
    "$CLAIMREG" export --format ndjson -o plain.ndjson
    "$CLAIMREG" export --format ndjson --encrypt-to "$ALICE" | g "$HOME_A" --decrypt > piped.ndjson 2>/dev/null
    expect_eq "$?" "0" "claimreg export | gpg --decrypt"
    expect_eq "$(cmp piped.ndjson plain.ndjson && echo same)" "same" "claimreg export | gpg --decrypt bytes"
    rm -f out/*
}

# Recipients by e-mail address and by long key id; over an existing file, which becomes 0600.
# Two recipients, each decrypts with only their own keyring. Bob's key is pinned by its
# fingerprint (lower case works too).
case_recipients() {
    use_keys
    fixture small
    mkdir out
    "$CLAIMREG" export -o plain.csv
    printf 'old\n' > out/enc.gpg
    chmod 644 out/enc.gpg
    run export --encrypt-to alice@test.invalid -o out/enc.gpg
    expect_status 0
    expect_mode out/enc.gpg 600
    expect_decrypts out/enc.gpg plain.csv
    run export --encrypt-to "0x${ALICE:24}" -o out/enc.gpg
    expect_status 0
    expect_decrypts out/enc.gpg plain.csv
    run export --encrypt-to "<alice@test.invalid>" -o out/enc.gpg
    expect_status 0
    expect_decrypts out/enc.gpg plain.csv

    # Two recipients, each decrypts with only their own keyring. Bob's key is pinned by its
    # fingerprint (lower case works too).
    run export --encrypt-to "$ALICE" --encrypt-to bob@test.invalid --trust-key "$BOB" -o out/both.gpg
    expect_status 0
    expect_err ""
    expect_decrypts out/both.gpg plain.csv "$HOME_A"
    expect_decrypts out/both.gpg plain.csv "$HOME_B"
    expect_eq "$(g "$HOME_A" --list-packets out/both.gpg 2>/dev/null | grep -c '^:pubkey enc packet')" "2" "recipients of both.gpg"
    run export --encrypt-to "$BOB" --trust-key "${BOB,,}" -o out/bob.gpg
    expect_status 0
    expect_decrypts out/bob.gpg plain.csv "$HOME_B"
    rm -f out/*
}

# ---- refused keys: 64, before anything is read or written --------------------------------------
case_refused_keys() {
    use_keys
    fixture small
    fixture yesterday
    mkdir out
    refused "--encrypt-to (1st): no key DEADBEEFDEADBEEF in the keyring" --encrypt-to DEADBEEFDEADBEEF
    refused "--encrypt-to (2nd): no key for this e-mail address in the keyring" \
        --encrypt-to "$ALICE" --encrypt-to nobody@test.invalid
    refused "--encrypt-to (1st): not a key id, fingerprint or e-mail address" --encrypt-to 'Alice Tester'
    refused "--encrypt-to (1st): not a key id, fingerprint or e-mail address" --encrypt-to ''
    refused "--encrypt-to (1st): more than one key matches; give the fingerprint" --encrypt-to carol@test.invalid
    refused "--encrypt-to (1st): key $EXPIRED has expired" --encrypt-to eve@test.invalid
    refused "--encrypt-to (3rd): key $EXPIRED has expired" --encrypt-to "$ALICE" --encrypt-to "$BOB" \
        --encrypt-to "$EXPIRED" --trust-key "$BOB"
    refused "--encrypt-to (1st): key $REVOKED is revoked" --encrypt-to "$REVOKED"
    refused "--encrypt-to (1st): key $REVOKED is revoked" --encrypt-to rob@test.invalid --trust-key "$REVOKED"
    refused "--encrypt-to (1st): key $SIGNER cannot encrypt (no usable encryption subkey)" --encrypt-to sam@test.invalid
    refused "--encrypt-to (2nd): key $BOB is not valid (imported, never certified); to accept it, pin it with --trust-key $BOB" \
        --encrypt-to "$ALICE" --encrypt-to bob@test.invalid
    refused "--encrypt-to (1st): key $BOB is not valid (imported, never certified); to accept it, pin it with --trust-key $BOB" \
        --encrypt-to "$BOB" --trust-key "$ALICE"
    refused "--trust-key (1st): not a fingerprint (40 or 64 hexadecimal digits)" --encrypt-to "$BOB" --trust-key "${BOB:24}"
    refused "--trust-key (2nd): names none of the recipients' keys" --encrypt-to "$BOB" \
        --trust-key "$BOB" --trust-key "$REVOKED"
    refused "--armor requires --encrypt-to (see 'claimreg export --help')" --armor
    refused "--trust-key requires --encrypt-to (see 'claimreg export --help')" --trust-key "$ALICE"
}

# Keys are checked before the registry is opened: a bad key on a missing registry is 64, a good
# one 66; neither writes anything.
case_keys_checked_before_the_registry() {
    use_keys
    mkdir out
    run --db missing.db export --encrypt-to DEADBEEFDEADBEEF -o out/new.gpg
    expect_status 64
    run --db missing.db export --encrypt-to "$ALICE" -o out/new.gpg
    expect_status 66
    expect_only_files out ""
    expect_eq "$([ -e missing.db ] && echo exists)" "" "registry created by a refused export"
}

# An empty keyring, or none at all: the key is unknown.
case_empty_keyring() {
    use_keys
    fixture small
    mkdir out
    mkdir -m 700 empty-home
    GNUPGHOME=$WORK/empty-home run export --encrypt-to "$ALICE" -o out/enc.gpg
    expect_status 64
    expect_err "claimreg: --encrypt-to (1st): no key $ALICE in the keyring"
    GNUPGHOME=$WORK/empty-home gpgconf --kill all 2>/dev/null
    expect_only_files out ""
}

# Write errors while encrypting: 74, said plainly.
case_write_errors() {
    use_keys
    fixture small
    fixture big
    run export --encrypt-to "$ALICE" -o /dev/full
    expect_status 74
    expect_err "claimreg: cannot write the output: No space left on device"
    "$CLAIMREG" --db big.db export --encrypt-to "$ALICE" 2> closed.err | head -c 10 > /dev/null
    expect_eq "${PIPESTATUS[0]}" "74" "encrypted export into a pipe closed early"
    expect_eq "$(cat closed.err)" "claimreg: cannot write the output: Broken pipe" "message for a closed pipe"
}

# ---- terminals -----------------------------------------------------------------------------------
case_terminals() {
    use_keys
    fixture small
    if script -qec true /dev/null >/dev/null 2>&1; then
        tty_out=$(script -qec "'$CLAIMREG' export --encrypt-to $ALICE" /dev/null </dev/null | tr -d '\r')
        expect_eq "$?" "64" "binary ciphertext to a terminal: exit status"
        expect_eq "$tty_out" "claimreg: --encrypt-to: binary ciphertext is not written to a terminal; use --armor, --output FILE or a pipe" "binary ciphertext to a terminal"
        tty_out=$(script -qec "'$CLAIMREG' export --encrypt-to $ALICE -o /dev/tty" /dev/null </dev/null | tr -d '\r')
        expect_eq "$?" "64" "binary ciphertext to /dev/tty: exit status"
        tty_out=$(script -qec "'$CLAIMREG' export --armor --encrypt-to $ALICE" /dev/null </dev/null | tr -d '\r')
        expect_eq "$?" "0" "armored ciphertext to a terminal: exit status"
        expect_eq "$(head -n 1 <<< "$tty_out")" "-----BEGIN PGP MESSAGE-----" "armored ciphertext to a terminal"
    else
        fail "script(1) cannot run a command on a pseudo-terminal here"
    fi
}

# ---- no plaintext on disk while the export runs -------------------------------------------------
# The watch sees the plaintext of a plain export (so it can see a leak) ...
# ... and none in an encrypted one's, in every format.
case_no_plaintext_on_disk() {
    use_keys
    fixture big
    watch_temp
    expect_eq "$([ "$samples" -gt 0 ] && [ "$leaks" -gt 0 ] && echo seen)" "seen" "plaintext seen in a plain export's temporary file ($samples samples, $leaks with plaintext)"
    for args in "" "--format json" "--pseudonymize --format ndjson"; do
        # shellcheck disable=SC2086
        watch_temp $args --encrypt-to "$ALICE"
        expect_eq "$([ "$samples" -gt 0 ] && echo sampled)" "sampled" "samples of the encrypted temporary file ($args)"
        expect_eq "$leaks" "0" "samples with plaintext ($args)"
        expect_only_files watch "out "
    done
    "$CLAIMREG" --db big.db export --pseudonymize --format ndjson -o big.ndjson
    expect_decrypts watch/out big.ndjson
}

# SIGTERM during an encrypted export: yesterday's file and no temporary file remain.
case_sigterm_during_an_encrypted_export() {
    use_keys
    fixture big
    fixture yesterday
    rm -rf watch && mkdir watch
    cp -p yesterday.gpg watch/out
    "$CLAIMREG" --db big.db export --encrypt-to "$ALICE" -o watch/out &
    pid=$!
    for _ in $(seq 500); do
        f=$(ls -A watch | grep tmp) && [ -s "watch/$f" ] && break
        sleep 0.01
    done
    kill -TERM "$pid"
    wait "$pid"
    expect_eq "$?" "143" "encrypted export ended by SIGTERM"
    checks=$((checks + 1))
    cmp -s watch/out yesterday.gpg || fail "previous file changed by a killed encrypted export"
    expect_only_files watch "out "
}

finish
