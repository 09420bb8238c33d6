// The xlsx reader's public face: a worksheet's rows as import records (see xlsx_sheet.hpp for
// how they are streamed).

#include "claimreg/xlsx_reader.hpp"

#include <algorithm>
#include <iterator>

#include <fmt/format.h>

#include "xlsx_archive.hpp"
#include "xlsx_sheet.hpp"

namespace claimreg {

void XlsxSource::Impl::open(int fd) {
    archive = xlsx::open_archive(fd);
    xlsx::read_workbook(archive, options, book);
    sheet = std::make_unique<xlsx::EntryStream>(archive, book.sheet_part, options.max_sheet_bytes,
                                                options);
    sheet_declared = sheet->declared();
}

XlsxSource::XlsxSource(int fd, const XlsxReadOptions& options) : impl_(std::make_unique<Impl>()) {
    impl_->options = options;
    if (impl_->options.max_inflate_ratio == 0) impl_->options.max_inflate_ratio = 1;
    impl_->open(fd);
    impl_->start();
}

XlsxSource::~XlsxSource() = default;

const std::string& XlsxSource::sheet_name() const {
    return impl_->book.sheet_name;
}

bool XlsxSource::next(CsvRecord& out) {
    Impl& m = *impl_;
    const xlsx::Row* row = m.next_row();
    if (row == nullptr) return false;
    out.line = row->numbered ? row->number : m.batch_base + row->number;
    out.problem = RowProblem::none;
    out.problem_column = CsvRecord::no_column;
    if (row->too_long) out.problem = RowProblem::too_long;
    const auto first = m.current->cells.begin() + static_cast<std::ptrdiff_t>(row->first);
    const auto last = first + static_cast<std::ptrdiff_t>(row->count);
    const auto by_column = [](const xlsx::Cell& a, const xlsx::Cell& b) {
        return a.column < b.column;
    };
    if (!std::is_sorted(first, last, by_column)) std::stable_sort(first, last, by_column);
    if (!m.header_seen) {
        m.header_seen = true;
        m.width = first == last ? 0 : std::prev(last)->column + std::size_t{1};
    }
    out.fields.assign(m.width, std::string_view());
    out.kinds.assign(m.width, CellKind::text);
    std::size_t previous = CsvRecord::no_column;
    for (auto c = first; c != last; ++c) {
        const auto flag = [&](RowProblem p) {
            if (out.problem != RowProblem::none) return;
            out.problem = p;
            out.problem_column = c->column;
        };
        if (c->column == previous) flag(RowProblem::cell_twice);
        previous = c->column;
        if (c->problem != RowProblem::none) flag(c->problem);
        if (c->column >= m.width) {
            flag(RowProblem::beyond_header);
            continue;
        }
        out.fields[c->column] = m.text_of(*c);
        out.kinds[c->column] = c->kind;
    }
    return true;
}

std::uint64_t XlsxSource::bytes_read() const {
    return impl_->bytes_seen;
}

std::uint64_t XlsxSource::sheet_size() const {
    return impl_->sheet_declared;
}

std::string XlsxSource::column_name(std::size_t index) const {
    return column_letters(index);
}

std::string XlsxSource::row_name(std::uint64_t line) const {
    return fmt::format("row {}", line);
}

} // namespace claimreg
