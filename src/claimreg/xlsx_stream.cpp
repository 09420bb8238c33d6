// The xlsx reader's worksheet stream: the inflating thread that cuts the sheet's XML into
// pieces, the threads that parse pieces of whole rows, the sheet's own parser, and the
// consumer's side that takes batches of rows in order (see xlsx_sheet.hpp).

#include <algorithm>
#include <cstring>

#include "xlsx_archive.hpp"
#include "xlsx_sheet.hpp"

namespace claimreg {

using xlsx::Batch;
using xlsx::Context;
using xlsx::max_piece_bytes;
using xlsx::Piece;
using xlsx::piece_bytes;
using xlsx::PieceState;
using xlsx::queued_batches;
using xlsx::Row;
using xlsx::SheetParser;
using xlsx::XmlStream;

namespace {

std::uint64_t lines_in(const char* data, std::size_t size) {
    std::uint64_t lines = 0;
    const char* p = data;
    const char* end = p + size;
    while ((p = static_cast<const char*>(
                std::memchr(p, '\n', static_cast<std::size_t>(end - p)))) != nullptr) {
        ++lines;
        ++p;
    }
    return lines;
}

// How far from its `<` row_start_at() looks at most.
constexpr std::size_t row_tag_reach = 66;

// Whether a `<` at `p` (with `end - p` bytes after it) starts a row's start tag; nullopt
// when the name runs past `end`.
std::optional<bool> row_start_at(const char* p, const char* end) {
    const char* q = p + 1;
    const char* colon = nullptr;
    for (; q < end; ++q) {
        const char c = *q;
        if (c == ' ' || c == '>' || c == '/' || c == '\t' || c == '\n' || c == '\r') break;
        if (c == ':') colon = q;
        if (q - p > 64) return false;
    }
    if (q == end) return std::nullopt;
    const char* local = colon != nullptr ? colon + 1 : p + 1;
    return q - local == 3 && local[0] == 'r' && local[1] == 'o' && local[2] == 'w';
}

// Whether `<!` or `<?` (other than the XML declaration) is in data[from, size): the rare `!`
// and `?` looked for, then the byte before them (`before` for data's first). `position` is
// data's place in the sheet.
bool markup_declaration_in(const char* data, std::size_t from, std::size_t size, char before,
                           std::uint64_t position) {
    for (const char mark : {'!', '?'}) {
        for (std::size_t at = from; at < size;) {
            const auto* hit = static_cast<const char*>(std::memchr(data + at, mark, size - at));
            if (hit == nullptr) break;
            const auto offset = static_cast<std::size_t>(hit - data);
            at = offset + 1;
            if ((offset > 0 ? data[offset - 1] : before) != '<') continue;
            // The XML declaration, at the very start (after a byte order mark).
            if (mark == '?' && position + offset <= 4) continue;
            return true;
        }
    }
    return false;
}

// Where the first row start tag after data's first byte is, looked for from `scanned` on (which
// moves on to where to look next); nullopt while there is none, or its name is not all there.
std::optional<std::size_t> first_row_start(const char* data, std::size_t size,
                                           std::size_t& scanned) {
    while (scanned < size) {
        const char* p = static_cast<const char*>(std::memchr(data + scanned, '<', size - scanned));
        if (p == nullptr) {
            scanned = size;
            break;
        }
        const auto row = row_start_at(p, data + size);
        if (!row) break; // the name is not all here yet
        if (*row && p != data) return static_cast<std::size_t>(p - data);
        scanned = static_cast<std::size_t>(p - data) + 1;
    }
    return std::nullopt;
}

// Where the last row start tag after data's first byte, and at or after data[from], is (where
// to cut); 0 if there is none.
std::size_t last_row_start(const char* data, std::size_t size, std::size_t from) {
    const char* first = data + from;
    for (const char* p = data + size; p > first;) {
        p = static_cast<const char*>(::memrchr(first, '<', static_cast<std::size_t>(p - first)));
        if (p == nullptr || p == data) break;
        if (row_start_at(p, data + size).value_or(false)) return static_cast<std::size_t>(p - data);
    }
    return 0;
}

} // namespace

XlsxSource::Impl::~Impl() {
    {
        const std::lock_guard lock(mutex);
        stopping = true;
    }
    changed.notify_all();
    for (auto& t : threads)
        t.join();
    sheet.reset();
    if (archive != nullptr) zip_discard(archive);
}

std::unique_ptr<Batch> XlsxSource::Impl::spare_batch() {
    std::unique_ptr<Batch> b;
    {
        const std::lock_guard lock(mutex);
        if (!spare_batches.empty()) {
            b = std::move(spare_batches.front());
            spare_batches.pop_front();
        }
    }
    if (b)
        b->clear();
    else
        b = std::make_unique<Batch>();
    return b;
}

void XlsxSource::Impl::inflate() {
    constexpr std::size_t read_bytes = 64 << 10;
    std::vector<char> pending; // from the last cut on: its first `used` bytes
    std::size_t used = 0;
    char before = '\0';         // the byte before pending's first (the end of the last piece)
    std::size_t scanned = 0;    // of pending, looked at for the first row (the head's end)
    std::size_t searched = 0;   // of pending, searched for a row start tag to cut at (none)
    bool head = true;           // pending starts at the sheet's start
    bool starts_at_row = false; // pending starts with a row start tag
    bool only_sequential = false;
    std::uint64_t position = 0; // of pending's start in the sheet
    const auto emit = [&](std::size_t size, bool rows, bool last, std::exception_ptr error) {
        auto piece = std::make_unique<Piece>();
        std::vector<char> next;
        {
            std::unique_lock lock(mutex);
            if (!wait_for(lock, [&] { return pieces.size() < max_pieces; })) return false;
            if (!spare_buffers.empty()) {
                next = std::move(spare_buffers.back());
                spare_buffers.pop_back();
            }
        }
        // The piece takes the buffer; what follows the cut (a few bytes) starts another.
        if (size > 0) before = pending[size - 1];
        const std::size_t rest = used - size;
        if (next.size() < rest + piece_bytes + read_bytes)
            next.resize(rest + piece_bytes + read_bytes);
        if (rest > 0) std::memcpy(next.data(), pending.data() + size, rest);
        piece->data = std::move(pending);
        piece->size = size;
        pending = std::move(next);
        used = rest;
        position += size;
        scanned = 0;
        searched = 0;
        head = false;
        piece->rows = rows && !only_sequential;
        piece->last = last;
        piece->inflated = sheet->inflated();
        piece->error = std::move(error);
        {
            const std::lock_guard lock(mutex);
            pieces.push_back(std::move(piece));
        }
        changed.notify_all();
        return true;
    };
    pending.resize(piece_bytes + read_bytes);
    for (;;) {
        const std::size_t had = used;
        if (pending.size() < had + read_bytes) pending.resize(2 * (had + read_bytes));
        std::size_t n = 0;
        try {
            n = sheet->read(pending.data() + had, read_bytes);
        } catch (...) {
            emit(0, false, true, std::current_exception());
            return;
        }
        used += n;
        const bool end = n == 0;
        if (position == 0 && had == 0 && n > 0) {
            // Cutting needs UTF-8 (or ASCII): a sheet in UTF-16 is read whole, in order.
            const auto b = static_cast<unsigned char>(pending[0]);
            if (b != '<' && b != 0xEF) only_sequential = true;
        }
        if (!only_sequential && markup_declaration_in(pending.data(), had, used, before, position))
            only_sequential = true;
        if (end) {
            emit(used, false, true, nullptr);
            return;
        }
        if (only_sequential) {
            if (used >= piece_bytes && !emit(used, false, false, nullptr)) return;
            continue;
        }
        if (head) {
            // The head: everything before the first row, for the sheet's parser.
            if (const auto first = first_row_start(pending.data(), used, scanned)) {
                if (!emit(*first, false, false, nullptr)) return;
                starts_at_row = true;
            } else if (used >= max_piece_bytes) {
                if (!emit(used, false, false, nullptr)) return;
                starts_at_row = false;
            }
            continue;
        }
        if (used < piece_bytes) continue;
        const std::size_t cut = last_row_start(pending.data(), used, searched);
        // The next search looks only at what is new, and at a tag whose name the end cut off.
        searched = used > row_tag_reach ? used - row_tag_reach : 0;
        if (cut > 0) {
            if (!emit(cut, starts_at_row, false, nullptr)) return;
            starts_at_row = true;
        } else if (used >= max_piece_bytes) {
            // No row start tag in all that: the sheet's parser reads it as it comes.
            if (!emit(used, false, false, nullptr)) return;
            starts_at_row = false;
        }
    }
}

void XlsxSource::Impl::parse_pieces() {
    for (;;) {
        Piece* piece = nullptr;
        {
            std::unique_lock lock(mutex);
            if (!wait_for(lock, [&] {
                    if (!workers_wanted) return false;
                    for (auto& p : pieces) {
                        if (p->rows && p->state == PieceState::waiting) {
                            piece = p.get();
                            return true;
                        }
                    }
                    return false;
                }))
                return;
            piece->state = PieceState::parsing;
        }
        const PieceState result = parse_piece(*piece);
        {
            const std::lock_guard lock(mutex);
            piece->state = result;
        }
        changed.notify_all();
    }
}

PieceState XlsxSource::Impl::parse_piece(Piece& piece) {
    piece.batch = spare_batch();
    try {
        SheetParser parser(*context);
        parser.filling = piece.batch.get();
        if (!xlsx::parse_fragment(piece.data.data(), piece.size, parser))
            return PieceState::failed; // read again by the sheet's parser
        parser.end_batch(nullptr);
        piece.lines = lines_in(piece.data.data(), piece.size);
        return PieceState::parsed;
    } catch (...) {
        return PieceState::failed;
    }
}

void XlsxSource::Impl::parse_sheet() {
    std::unique_ptr<Batch> batch = spare_batch();
    const auto hand_over = [&](std::unique_ptr<Batch> b) {
        std::unique_lock lock(mutex);
        if (!wait_for(lock, [&] { return batches.size() < queued_batches; })) return false;
        batches.push_back(std::move(b));
        lock.unlock();
        changed.notify_all();
        return true;
    };
    SheetParser parser(*context);
    parser.filling = batch.get();
    try {
        XmlStream xml(book.sheet_part, parser);
        bool first = true;
        for (bool last = false; !last;) {
            std::unique_ptr<Piece> piece;
            {
                std::unique_lock lock(mutex);
                // The next piece, unless a parsing thread has it; one no thread has taken
                // yet is this thread's.
                if (!wait_for(lock, [&] {
                        return !pieces.empty() && pieces.front()->state != PieceState::parsing;
                    }))
                    return;
                piece = std::move(pieces.front());
                pieces.pop_front();
            }
            changed.notify_all();
            if (piece->error) std::rethrow_exception(piece->error);
            if (piece->state == PieceState::waiting)
                piece->state =
                    piece->rows && workers_wanted ? parse_piece(*piece) : PieceState::failed;
            last = piece->last;
            if (piece->rows && piece->state == PieceState::parsed && workers_wanted) {
                // Rows parsed on their own: the sheet's parser passes over them.
                xml.skipped(piece->lines);
                parser.end_batch(nullptr);
                std::unique_ptr<Batch> own = std::move(piece->batch);
                own->bytes = piece->inflated;
                if (!hand_over(std::move(own))) return;
                parser.filling = batch.get();
            } else {
                xml.parse(piece->data.data(), piece->size, last);
                if (first && !xml.declared_utf8()) {
                    const std::lock_guard lock(mutex);
                    workers_wanted = false;
                }
                batch->bytes = piece->inflated;
                std::unique_ptr<Batch> next = last ? nullptr : spare_batch();
                parser.end_batch(next.get());
                if (last) batch->last = true;
                if (!hand_over(std::move(batch))) return;
                batch = std::move(next);
                parser.filling = batch.get();
            }
            first = false;
            {
                const std::lock_guard lock(mutex);
                spare_buffers.push_back(std::move(piece->data));
                if (piece->batch) spare_batches.push_back(std::move(piece->batch));
            }
            changed.notify_all();
        }
    } catch (...) {
        if (!batch) batch = std::make_unique<Batch>();
        batch->clear();
        batch->error = std::current_exception();
        batch->last = true;
        hand_over(std::move(batch));
    }
}

void XlsxSource::Impl::start() {
    context.emplace(Context{options, book.sheet_part, book.shared, book.date_style, book.date1904});
    const unsigned cores = std::thread::hardware_concurrency();
    const unsigned workers = std::clamp(cores, 1u, 4u);
    max_pieces = 2 * workers + 2;
    threads.emplace_back([this] { inflate(); });
    threads.emplace_back([this] { parse_sheet(); });
    for (unsigned i = 0; i < workers; ++i)
        threads.emplace_back([this] { parse_pieces(); });
}

Row* XlsxSource::Impl::next_row() {
    for (;;) {
        if (current && taken < current->rows.size()) return &current->rows[taken++];
        if (ended) return nullptr;
        {
            std::unique_lock lock(mutex);
            changed.wait(lock, [&] { return !batches.empty(); });
            if (current) {
                batch_base =
                    current->end_numbered ? current->end_row : batch_base + current->end_row;
                spare_batches.push_back(std::move(current));
            }
            current = std::move(batches.front());
            batches.pop_front();
        }
        changed.notify_all();
        taken = 0;
        bytes_seen = current->bytes;
        if (current->error) {
            ended = true;
            std::rethrow_exception(current->error);
        }
        ended = current->last;
    }
}

} // namespace claimreg
