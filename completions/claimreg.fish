# fish completion for claimreg. Installed into a fish completions directory
# (e.g. /usr/share/fish/vendor_completions.d).

set -l commands add import-csv import-xlsx check-eligibility export stats report duplicates show update withdraw erase link distinct unlink resolve signals migrate
set -l no_command "not __fish_seen_subcommand_from $commands"

complete -c claimreg -f

# The primary key fingerprints of the user's GnuPG keyring.
function __claimreg_key_fingerprints
    command -q gpg; or return
    gpg --batch --with-colons --list-keys 2>/dev/null | awk -F: '$1 == "pub" { p = 1; next } p && $1 == "fpr" { print $10; p = 0 }'
end

# Global options, before or after the command.
complete -c claimreg -s h -l help -d 'Print help and exit'
complete -c claimreg -l version -d 'Print version information and exit'
complete -c claimreg -l db -r -F -d 'Registry file (env CLAIMREG_DB)'
complete -c claimreg -s q -l quiet -d 'Print nothing on stderr but errors'
complete -c claimreg -l busy-timeout -x -d 'Wait this long (ms) for another writer, then exit 75'

# Commands.
complete -c claimreg -n $no_command -a add -d 'Register one child; prints the claimant id'
complete -c claimreg -n $no_command -a import-csv -d 'Import registrations from a CSV file'
complete -c claimreg -n $no_command -a import-xlsx -d 'Import registrations from a worksheet of an xlsx workbook'
complete -c claimreg -n $no_command -a check-eligibility -d 'Evaluate eligibility'
complete -c claimreg -n $no_command -a export -d 'Write claimants as CSV, JSON or NDJSON'
complete -c claimreg -n $no_command -a stats -d 'Count active claimants'
complete -c claimreg -n $no_command -a report -d 'Write the figures as an HTML page with charts'
complete -c claimreg -n $no_command -a duplicates -d 'List probable duplicates among the active claimants'
complete -c claimreg -n $no_command -a show -d "Print one claimant's record"
complete -c claimreg -n $no_command -a update -d "Correct a claimant's fields"
complete -c claimreg -n $no_command -a withdraw -d 'Withdraw a claimant, or record its opt-out'
complete -c claimreg -n $no_command -a erase -d 'Erase a claimant for good (GDPR Art. 17)'
complete -c claimreg -n $no_command -a link -d 'Decide two claimants are one child (KEEP OTHER)'
complete -c claimreg -n $no_command -a distinct -d 'Decide two claimants are different children'
complete -c claimreg -n $no_command -a unlink -d 'Undo a link: the claimant is active again'
complete -c claimreg -n $no_command -a resolve -d 'Apply a reviewed duplicates CSV in one transaction'
complete -c claimreg -n $no_command -a signals -d 'List patterns that point at bulk or fraudulent registration'
complete -c claimreg -n $no_command -a migrate -d 'Bring an existing registry to this schema version'

# add
set -l c '__fish_seen_subcommand_from add'
complete -c claimreg -n $c -l child-first-name -x -d "Child's first name (required)"
complete -c claimreg -n $c -l child-name-prefix -x -d "Child's name prefix (tussenvoegsel)"
complete -c claimreg -n $c -l child-last-name -x -d "Child's last name (required)"
complete -c claimreg -n $c -l child-birth-date -x -d "Child's birth date (required)"
complete -c claimreg -n $c -l country -x -d 'Country of residence, two letters (default NL)'
complete -c claimreg -n $c -l postcode -x -d 'Postcode (NL: 1234 AB; required for NL)'
complete -c claimreg -n $c -l house-number -x -d 'House number'
complete -c claimreg -n $c -l platform -x -a 'tiktok musical.ly' -d 'Platform (required)'
complete -c claimreg -n $c -l first-use -x -d 'First use (account creation) date (required)'
complete -c claimreg -n $c -l last-use -x -d 'Last use date, if use stopped'
complete -c claimreg -n $c -l registrant-name -x -d "Registrant's name (required)"
complete -c claimreg -n $c -l registrant-email -x -d "Registrant's e-mail address (required)"
complete -c claimreg -n $c -l registrant-phone -x -d "Registrant's phone number"
complete -c claimreg -n $c -l registrant-relation -x -a 'parent guardian self' -d 'Relation to the child (required)'
complete -c claimreg -n $c -l consent -d 'The registrant confirms they may act for the child'
complete -c claimreg -n $c -l registered-at -x -d 'Registration time, ISO 8601 (default now, UTC)'
complete -c claimreg -n $c -l external-ref -x -d "External reference (the sign-up system's id)"
complete -c claimreg -n $c -l json -d 'Print {"id":N,"duplicate":true|false}'

# import-csv
set -l c '__fish_seen_subcommand_from import-csv'
complete -c claimreg -n $c -F -d 'CSV file (- for stdin)'
complete -c claimreg -n $c -l delimiter -x -a ', \; tab' -d 'Field delimiter (default: detect)'
complete -c claimreg -n $c -l encoding -x -a 'utf-8 windows-1252' -d 'Encoding (default: detect)'
complete -c claimreg -n $c -l rejects -r -F -d 'Write rejected rows to this CSV file (mode 0600)'
complete -c claimreg -n $c -l json -d 'Print the summary as one JSON object on stdout'
complete -c claimreg -n $c -l dry-run -d 'Validate and count; store nothing'
complete -c claimreg -n $c -l strict -d 'Store nothing if any row is rejected'
complete -c claimreg -n $c -l no-update -d 'Keep stored registrations; report rows that differ'

# import-xlsx
set -l c '__fish_seen_subcommand_from import-xlsx'
complete -c claimreg -n $c -F -d 'xlsx workbook'
complete -c claimreg -n $c -l sheet -x -d 'The worksheet: its name or position (default the first)'
complete -c claimreg -n $c -l rejects -r -F -d 'Write rejected rows to this CSV file (mode 0600)'
complete -c claimreg -n $c -l json -d 'Print the summary as one JSON object on stdout'
complete -c claimreg -n $c -l dry-run -d 'Validate and count; store nothing'
complete -c claimreg -n $c -l strict -d 'Store nothing if any row is rejected'
complete -c claimreg -n $c -l no-update -d 'Keep stored registrations; report rows that differ'

# check-eligibility
set -l c '__fish_seen_subcommand_from check-eligibility'
complete -c claimreg -n $c -l all -d 'Evaluate every claimant; print counts by verdict'
complete -c claimreg -n $c -l rules -x -a 'ruling-2024 as-filed' -d 'Rule set (default ruling-2024)'
complete -c claimreg -n $c -l as-of -x -d 'Evaluate as of this date (default today)'
complete -c claimreg -n $c -l json -d 'Print JSON'
complete -c claimreg -n $c -l child-birth-date -x -d "Ad hoc: child's birth date"
complete -c claimreg -n $c -l first-use -x -d 'Ad hoc: first use date'
complete -c claimreg -n $c -l last-use -x -d 'Ad hoc: last use date'
complete -c claimreg -n $c -l country -x -d 'Ad hoc: country of residence (default NL)'
complete -c claimreg -n $c -l postcode -x -d 'Ad hoc: postcode'
complete -c claimreg -n $c -l platform -x -a 'tiktok musical.ly' -d 'Ad hoc: platform (default tiktok)'
complete -c claimreg -n $c -l registrant-relation -x -a 'parent guardian self' -d 'Ad hoc: relation (default parent)'
complete -c claimreg -n $c -l registered-at -x -d 'Ad hoc: registration time (default the as-of date)'
complete -c claimreg -n $c -l no-consent -d 'Ad hoc: consent not given'

# export
set -l c '__fish_seen_subcommand_from export'
complete -c claimreg -n $c -l format -x -a 'csv json ndjson xlsx' -d 'Output format (default csv)'
complete -c claimreg -n $c -s o -l output -r -F -d 'Write FILE atomically, mode 0600 (default stdout)'
complete -c claimreg -n $c -l pseudonymize -d 'Only the non-identifying columns'
complete -c claimreg -n $c -l delimiter -x -a ', \; tab' -d 'CSV field delimiter (default ,)'
complete -c claimreg -n $c -l bom -d 'Start with a UTF-8 byte order mark (for Excel)'
complete -c claimreg -n $c -l verdict -x -a 'eligible ineligible review' -d 'Only this verdict (repeatable)'
complete -c claimreg -n $c -l since -x -d 'Only claimants added or changed at or after this time'
complete -c claimreg -n $c -l include-withdrawn -d 'Also withdrawn and opted-out claimants'
complete -c claimreg -n $c -l encrypt-to -x -a '(__claimreg_key_fingerprints)' -d 'Encrypt with OpenPGP to this key (repeatable)'
complete -c claimreg -n $c -l armor -d 'ASCII-armored ciphertext instead of binary'
complete -c claimreg -n $c -l trust-key -x -a '(__claimreg_key_fingerprints)' -d 'Accept this recipient key although not valid (repeatable)'

# stats
set -l c '__fish_seen_subcommand_from stats'
complete -c claimreg -n $c -l by -x -a 'state verdict platform age-band birth-year postcode-area registration-month relation source' -d 'Group by (repeatable)'
complete -c claimreg -n $c -l verdict -x -a 'eligible ineligible review' -d 'Count only this verdict (repeatable)'
complete -c claimreg -n $c -l format -x -a 'table csv tsv json' -d 'Output format'
complete -c claimreg -n $c -l chart -d 'Draw the counts of --by as bars fitted to the terminal'
complete -c claimreg -n $c -l count -d 'Print the number of active claimants alone'

# report
set -l c '__fish_seen_subcommand_from report'
complete -c claimreg -n $c -s o -l output -r -F -d 'Write FILE atomically, mode 0600 (default stdout)'
complete -c claimreg -n $c -l rules -x -a 'ruling-2024 as-filed' -d 'Evaluate afresh under this rule set'
complete -c claimreg -n $c -l as-of -x -d 'Evaluate afresh as of this date (YYYY-MM-DD)'
complete -c claimreg -n $c -l min-count -x -d 'Show counts from 1 to N-1 as <N (default 10)'

# duplicates
set -l c '__fish_seen_subcommand_from duplicates'
complete -c claimreg -n $c -l min-score -x -d 'Only pairs scoring at least this probability (default 0.9)'
complete -c claimreg -n $c -l since -x -d 'Only pairs with a claimant added or changed since (YYYY-MM-DD or a timestamp)'
complete -c claimreg -n $c -l limit -x -d 'At most this many pairs (the best)'
complete -c claimreg -n $c -l format -x -a 'tsv csv json' -d 'Output format'
complete -c claimreg -n $c -l show -d 'Also print both records side by side (personal data)'

# show
set -l c '__fish_seen_subcommand_from show'
complete -c claimreg -n $c -l json -d 'Print one JSON object'

# update
set -l c '__fish_seen_subcommand_from update'
complete -c claimreg -n $c -l child-first-name -x -d "Child's first name"
complete -c claimreg -n $c -l child-name-prefix -x -d "Child's name prefix (tussenvoegsel)"
complete -c claimreg -n $c -l child-last-name -x -d "Child's last name"
complete -c claimreg -n $c -l child-birth-date -x -d "Child's birth date"
complete -c claimreg -n $c -l country -x -d 'Country of residence, two letters'
complete -c claimreg -n $c -l postcode -x -d 'Postcode (NL: 1234 AB)'
complete -c claimreg -n $c -l house-number -x -d 'House number'
complete -c claimreg -n $c -l platform -x -a 'tiktok musical.ly' -d 'Platform'
complete -c claimreg -n $c -l first-use -x -d 'First use (account creation) date'
complete -c claimreg -n $c -l last-use -x -d 'Last use date, if use stopped'
complete -c claimreg -n $c -l registrant-name -x -d "Registrant's name"
complete -c claimreg -n $c -l registrant-email -x -d "Registrant's e-mail address"
complete -c claimreg -n $c -l registrant-phone -x -d "Registrant's phone number"
complete -c claimreg -n $c -l registrant-relation -x -a 'parent guardian self' -d 'Relation to the child'
complete -c claimreg -n $c -l consent -d 'The registrant confirms they may act for the child'
complete -c claimreg -n $c -l no-consent -d 'Consent is withdrawn or was never given'
complete -c claimreg -n $c -l registered-at -x -d 'Registration time, ISO 8601'
complete -c claimreg -n $c -l external-ref -x -d "External reference (the sign-up system's id)"

# withdraw
set -l c '__fish_seen_subcommand_from withdraw'
complete -c claimreg -n $c -l opt-out -d 'The formal WAMCA opt-out instead of a withdrawal'

# erase
set -l c '__fish_seen_subcommand_from erase'
complete -c claimreg -n $c -s f -l force -d 'Do not ask (required when stdin is not a terminal)'

# link, distinct, unlink (global options only)
set -l c '__fish_seen_subcommand_from link'
set -l c '__fish_seen_subcommand_from distinct'
set -l c '__fish_seen_subcommand_from unlink'

# resolve
set -l c '__fish_seen_subcommand_from resolve'
complete -c claimreg -n $c -F -d 'Reviewed CSV file (- for stdin)'
complete -c claimreg -n $c -l delimiter -x -a ', \; tab' -d 'Field delimiter (default: detect)'
complete -c claimreg -n $c -l encoding -x -a 'utf-8 windows-1252' -d 'Encoding (default: detect)'

# signals
set -l c '__fish_seen_subcommand_from signals'
complete -c claimreg -n $c -l json -d 'One JSON object per line'
complete -c claimreg -n $c -l max-children -x -d 'crowded_address: more active children than this at one address (default 6)'
complete -c claimreg -n $c -l burst -x -d 'burst: this many registrations of one source within a minute (default 20)'

# migrate (global options only)
set -l c '__fish_seen_subcommand_from migrate'
