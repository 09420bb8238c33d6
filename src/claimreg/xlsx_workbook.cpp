// The xlsx reader's workbook: the package and workbook relationships, the worksheets and the
// chosen one, the date system, the cell styles that show dates, and the shared strings.

#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "claimreg/error.hpp"
#include "xlsx_archive.hpp"
#include "xlsx_sheet.hpp"

namespace claimreg::xlsx {

namespace {

// A prefixed attribute (`r:id`, the relationships namespace's), or nullptr.
const char* relationship_attribute(const char** atts, std::string_view local) {
    for (std::size_t i = 0; atts[i] != nullptr; i += 2) {
        const std::string_view name(atts[i]);
        if (local_name(atts[i]) == local && name.size() > local.size() &&
            !name.starts_with("xmlns")) {
            return atts[i + 1];
        }
    }
    return nullptr;
}

// `_rels/*.rels`: relationship id -> target, and targets by type.
struct Relationships final : XmlHandler {
    struct Entry {
        std::string id, type, target;
    };
    std::vector<Entry> entries;
    void start(std::string_view name, const char** atts) override {
        if (name != "Relationship") return;
        Entry e;
        if (const auto* v = attribute(atts, "Id")) e.id = v;
        if (const auto* v = attribute(atts, "Type")) e.type = v;
        if (const auto* v = attribute(atts, "Target")) e.target = v;
        entries.push_back(std::move(e));
    }
    void end(std::string_view) override {}
    // The first target whose type ends in `/suffix`, or empty.
    std::string of_type(std::string_view suffix) const {
        for (const auto& e : entries) {
            if (e.type.size() > suffix.size() && e.type.ends_with(suffix) &&
                e.type[e.type.size() - suffix.size() - 1] == '/')
                return e.target;
        }
        return {};
    }
    std::string of_id(std::string_view id) const {
        for (const auto& e : entries) {
            if (e.id == id) return e.target;
        }
        return {};
    }
};

// `xl/workbook.xml`: the sheets in order and the date system.
struct WorkbookPart final : XmlHandler {
    struct Sheet {
        std::string name, relationship;
    };
    std::vector<Sheet> sheets;
    bool date1904 = false;
    void start(std::string_view name, const char** atts) override {
        if (name == "workbookPr") {
            if (const auto* v = attribute(atts, "date1904")) {
                date1904 = std::string_view(v) == "1" || std::string_view(v) == "true";
            }
        } else if (name == "sheet") {
            Sheet s;
            if (const auto* v = attribute(atts, "name")) s.name = v;
            if (const auto* v = relationship_attribute(atts, "id")) s.relationship = v;
            sheets.push_back(std::move(s));
        }
    }
    void end(std::string_view) override {}
};

// `xl/styles.xml`: for each cell format (a cell's `s`), whether it shows a date.
struct StylesPart final : XmlHandler {
    std::vector<std::pair<unsigned, std::string>> custom; // numFmtId -> formatCode
    std::vector<unsigned> cell_formats;                   // cellXfs: xf -> numFmtId
    bool in_cell_xfs = false;
    void start(std::string_view name, const char** atts) override {
        if (name == "numFmt") {
            const auto* id = attribute(atts, "numFmtId");
            const auto* code = attribute(atts, "formatCode");
            if (id != nullptr && code != nullptr) {
                if (const auto n = parse_unsigned(id))
                    custom.emplace_back(static_cast<unsigned>(*n), code);
            }
        } else if (name == "cellXfs") {
            in_cell_xfs = true;
        } else if (name == "xf" && in_cell_xfs) {
            const auto* id = attribute(atts, "numFmtId");
            const auto n = id != nullptr ? parse_unsigned(id) : std::optional<std::uint64_t>(0);
            cell_formats.push_back(static_cast<unsigned>(n.value_or(0)));
        }
    }
    void end(std::string_view name) override {
        if (name == "cellXfs") in_cell_xfs = false;
    }
    std::vector<bool> date_styles() const {
        std::vector<bool> dates;
        for (const unsigned id : cell_formats) {
            std::string_view code;
            for (const auto& [cid, c] : custom) {
                if (cid == id) code = c;
            }
            dates.push_back(is_date_format(id, code));
        }
        return dates;
    }
};

// Resolves a relationship target against the directory of the part that names it.
std::string resolve(std::string_view base_dir, std::string_view target) {
    if (!target.empty() && target.front() == '/') return std::string(target.substr(1));
    std::string dir(base_dir);
    while (target.starts_with("../")) {
        target.remove_prefix(3);
        if (!dir.empty()) dir.pop_back();
        const auto slash = dir.rfind('/');
        dir = slash == std::string::npos ? std::string() : dir.substr(0, slash + 1);
    }
    return dir + std::string(target);
}

std::string directory_of(std::string_view part) {
    const auto slash = part.rfind('/');
    return slash == std::string_view::npos ? std::string() : std::string(part.substr(0, slash + 1));
}

} // namespace

void SharedStringsPart::start(std::string_view name, const char**) {
    if (name == "si")
        offsets.push_back(all.size());
    else if (name == "t")
        ++in_t;
    else if (name == "rPh")
        ++in_phonetic;
}

void SharedStringsPart::end(std::string_view name) {
    if (name == "t")
        --in_t;
    else if (name == "rPh")
        --in_phonetic;
}

void SharedStringsPart::text(std::string_view s) {
    if (in_t > 0 && in_phonetic == 0 && !offsets.empty()) all += s;
}

void read_workbook(zip_t* archive, const XlsxReadOptions& options, Workbook& out) {
    Relationships package;
    std::string workbook = "xl/workbook.xml";
    if (zip_name_locate(archive, "_rels/.rels", 0) >= 0) {
        read_part(archive, "_rels/.rels", options.max_part_bytes, options, package);
        const std::string target = package.of_type("officeDocument");
        if (!target.empty()) workbook = resolve("", target);
    }
    if (zip_name_locate(archive, workbook.c_str(), 0) < 0) {
        throw DataError("not an xlsx workbook (no workbook part)");
    }
    WorkbookPart book;
    read_part(archive, workbook, options.max_part_bytes, options, book);
    out.date1904 = book.date1904;
    const std::string dir = directory_of(workbook);
    const std::string rels_name = dir + "_rels/" + workbook.substr(dir.size()) + ".rels";
    Relationships rels;
    read_part(archive, rels_name, options.max_part_bytes, options, rels);
    if (book.sheets.empty()) damaged(workbook, "no worksheet");

    const WorkbookPart::Sheet* chosen = nullptr;
    if (options.sheet.empty()) {
        chosen = &book.sheets.front();
    } else {
        for (const auto& s : book.sheets) {
            if (s.name == options.sheet) chosen = &s;
        }
        if (chosen == nullptr) {
            const auto n = parse_unsigned(options.sheet);
            if (n && *n >= 1 && *n <= book.sheets.size()) chosen = &book.sheets[*n - 1];
        }
        if (chosen == nullptr) {
            throw ValueError(fmt::format("no worksheet of that name or number (the workbook "
                                       "has {} worksheet{})",
                                       book.sheets.size(), book.sheets.size() == 1 ? "" : "s"));
        }
    }
    out.sheet_name = chosen->name;
    const std::string target = rels.of_id(chosen->relationship);
    if (target.empty()) damaged(workbook, "a worksheet without its part");
    out.sheet_part = resolve(dir, target);

    if (const std::string styles = rels.of_type("styles"); !styles.empty()) {
        StylesPart part;
        read_part(archive, resolve(dir, styles), options.max_part_bytes, options, part);
        out.date_style = part.date_styles();
    }
    if (const std::string strings = rels.of_type("sharedStrings"); !strings.empty()) {
        read_part(archive, resolve(dir, strings), options.max_shared_strings_bytes, options,
                  out.shared);
    }
}

} // namespace claimreg::xlsx
