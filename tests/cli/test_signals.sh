#!/usr/bin/env bash
# claimreg signals on a small hand-made registry: shared contacts behind several families (own
# and linked registrations, any case, phones), crowded addresses, bursts of one source within a
# minute; exact output in text and JSON, thresholds, and no personal value in any of it.
. "$SRC_DIR/tests/cli/lib.sh"
header=child_first_name,child_name_prefix,child_last_name,child_birth_date,postcode,house_number,platform,first_use,registrant_name,registrant_email,registrant_phone,registrant_relation,consent,registered_at
# row FIRST PREFIX LAST POSTCODE HOUSE EMAIL PHONE REGISTERED_AT
row() { printf '%s,%s,%s,2012-04-05,%s,%s,tiktok,2019-06-01,Registrant,%s,%s,parent,ja,%s\n' "$@"; }
names=(Ada Bo Cas Daan Ella Finn Gijs Hugo Iris Jens Kim Lars Maud Nina Olaf Pim Quin Rosa Siem Tess)
seq_ids() { seq -s, "$1" "$2"; }

# A missing registry: 66, and none is created.
case_missing_registry() {
    run signals
    expect_status 66
    expect_err_contains "no registry at claimreg.db"
    [ -e claimreg.db ] && fail "signals created a registry"
}

# Families (families.csv), then twenty registrations of one file within 57 seconds (burst.csv)
# and nineteen within a minute (slow.csv): 63 claimants.
fixture_families() {
    {
        echo "$header"
        # 1-4: one e-mail (in two spellings) behind Jansen, Bakker and De Boer at three addresses.
        row Piet '' Jansen '1234 AB' 1 agent@example.com '' 2024-01-01
        row Anna '' Bakker '2345 BC' 2 AGENT@example.com '' 2024-01-02
        row Kees '' Jansen '1234 AB' 1 agent@example.com '' 2024-01-03
        row Mila de Boer '3456 CD' 3 agent@example.com '' 2024-01-04
        # 5: Tim, registered by his parent and (a linked registration) by the same agent.
        row Tim '' Vos '4567 DE' 4 vos@example.nl '' 2024-01-05
        row Tim '' Vos '4567 DE' 4 agent@example.com '' 2024-01-06
        # 6-7: one family that moved (one name, two addresses); 8-9: two names at one address.
        row Eva '' Peters '5678 EF' 5 moved@example.nl '' 2024-01-07
        row Bas '' Peters '6789 FG' 6 moved@example.nl '' 2024-01-08
        row Lea '' Mulder '7890 GH' 7 blend@example.nl '' 2024-01-09
        row Sam '' Kok '7890 GH' 7 blend@example.nl '' 2024-01-10
        # 10-11: one phone (written two ways) behind Visser and Smit.
        row Ivo '' Visser '1111 AA' 1 v@example.nl 0612345678 2024-01-11
        row Noa '' Smit '2222 BB' 2 s@example.nl '06 12345678' 2024-01-12
        # 12-18: seven children at one address; 19-24: six at another.
        for n in Aart Bram Cor Dirk Eef Fien Guus; do row "$n" '' Huis '3333 CC' 10 "$n.huis@example.nl" '' 2024-01-13; done
        for n in Aart Bram Cor Dirk Eef Fien; do row "$n" '' Hof '4444 DD' '11-a' "$n.hof@example.nl" '' 2024-01-14; done
    } > families.csv
    run import-csv families.csv
    expect_status 0
    expect_err "claimreg: 25 rows read: 24 imported, 1 linked, 0 updated, 0 unchanged, 1 duplicates, 0 rejected, 0 erased"
    {
        echo "$header"
        for i in $(seq 0 19); do
            row "${names[i]}" '' Snel "$((5000 + i)) EE" 1 "snel$i@example.nl" '' "2024-03-01T12:00:$(printf '%02d' $((i * 3)))Z"
        done
    } > burst.csv
    {
        echo "$header"
        for i in $(seq 0 18); do
            row "${names[i]}" '' Traag "$((6000 + i)) FF" 1 "traag$i@example.nl" '' "2024-03-01T13:00:$(printf '%02d' $((i * 3)))+01:00"
        done
    } > slow.csv
    run import-csv burst.csv
    expect_status 0
    run import-csv slow.csv
    expect_status 0
    expect_eq "$("$CLAIMREG" stats --count)" "63" "claimants"
}

# Exact output in text and JSON; never a personal value: no e-mail, phone, postcode, house
# number or name.
case_text_and_json() {
    fixture families
    run signals
    expect_status 0
    expect_err ""
    expect_out "burst	20	$(seq_ids 25 44)
crowded_address	7	$(seq_ids 12 18)
shared_contact	5	1,2,3,4,5
shared_contact	2	10,11"
    text=$out
    run signals --json
    expect_status 0
    expect_out "{\"kind\":\"burst\",\"count\":20,\"ids\":[$(seq_ids 25 44)]}
{\"kind\":\"crowded_address\",\"count\":7,\"ids\":[$(seq_ids 12 18)]}
{\"kind\":\"shared_contact\",\"count\":5,\"ids\":[1,2,3,4,5]}
{\"kind\":\"shared_contact\",\"count\":2,\"ids\":[10,11]}"
    json=$out
    for value in example agent 0612345678 +31612345678 '1234 AB' 3333 '11-a' Jansen Bakker Huis Snel; do
        expect_not_contains "$text$json" "$value"
    done
}

# Thresholds: six children count from --max-children 5; nineteen make a burst from --burst 19
# (slow.csv's times are an hour ahead of UTC: 12:00 UTC, but another source than burst.csv).
case_thresholds() {
    fixture families
    run signals --max-children 5 --burst 19
    expect_status 0
    expect_out "burst	20	$(seq_ids 25 44)
burst	19	$(seq_ids 45 63)
crowded_address	7	$(seq_ids 12 18)
crowded_address	6	$(seq_ids 19 24)
shared_contact	5	1,2,3,4,5
shared_contact	2	10,11"
    for bad in 0 -1 x 1.5; do
        run signals --burst "$bad"
        expect_status 64
        expect_err_contains "--burst"
    done
    run signals --max-children 0
    expect_status 64
}

# Only active claimants: a withdrawn one leaves the crowded address at six; a linked one leaves
# the shared contact.
case_only_active_claimants() {
    fixture families
    run withdraw 18
    run link 2 4
    expect_status 0
    run signals
    expect_out "burst	20	$(seq_ids 25 44)
shared_contact	4	1,2,3,5
shared_contact	2	10,11"
}

# A failed write is an I/O error.
case_full_device() {
    fixture families
    if [ -w /dev/full ]; then
        "$CLAIMREG" signals > /dev/full 2> full.err
        expect_eq "$?" "74" "signals into a full device"
        expect_eq "$(cat full.err)" "claimreg: cannot write to standard output: No space left on device" "its message"
    fi
}

# An empty registry has no signals.
case_empty_registry() {
    run --db empty.db import-csv --json - <<<"$header"
    run --db empty.db signals
    expect_status 0
    expect_out ""
}

finish
