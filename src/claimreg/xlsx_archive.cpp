// The xlsx reader's access to a workbook's parts: the zip archive, an entry inflated within
// its bounds (ISA-L), and a part's XML streamed through libxml2's SAX parser.

#include "xlsx_archive.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <mutex>
#include <new>
#include <vector>

#include <fmt/format.h>
#include <isa-l/igzip_lib.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>

#include "claimreg/error.hpp"

namespace claimreg::xlsx {

void damaged(std::string_view part, std::string_view what) {
    throw DataError(fmt::format("not a readable xlsx workbook: {}: {}", part, what));
}

zip_t* open_archive(int fd) {
    const int own = ::dup(fd);
    if (own < 0) throw IoError("cannot read the workbook: " + errno_text(errno));
    int error = 0;
    zip_t* archive = zip_fdopen(own, 0, &error);
    if (archive == nullptr) {
        ::close(own);
        if (error == ZIP_ER_NOZIP || error == ZIP_ER_INCONS) {
            throw DataError("not an xlsx workbook (not a zip archive)");
        }
        zip_error_t ze;
        zip_error_init_with_code(&ze, error);
        const std::string what = zip_error_strerror(&ze);
        zip_error_fini(&ze);
        if (error == ZIP_ER_READ || error == ZIP_ER_SEEK)
            throw IoError("cannot read the workbook: " + what);
        throw DataError("not a readable xlsx workbook: " + what);
    }
    return archive;
}

struct EntryStream::Inflater {
    inflate_state state;
    std::vector<std::uint8_t> input = std::vector<std::uint8_t>(64 << 10);
    bool input_ended = false;
    bool finished = false;
};

EntryStream::EntryStream(zip_t* archive, std::string name, std::uint64_t limit,
                         const XlsxReadOptions& options)
    : name_(std::move(name)), limit_(limit), options_(options) {
    zip_stat_t st;
    zip_stat_init(&st);
    const zip_int64_t index = zip_name_locate(archive, name_.c_str(), 0);
    if (index < 0) damaged(name_, "missing");
    const auto at = static_cast<zip_uint64_t>(index);
    if (zip_stat_index(archive, at, 0, &st) != 0) damaged(name_, "unreadable entry");
    compressed_ = (st.valid & ZIP_STAT_COMP_SIZE) ? st.comp_size : 0;
    declared_ = (st.valid & ZIP_STAT_SIZE) ? st.size : 0;
    constexpr zip_uint64_t known =
        ZIP_STAT_SIZE | ZIP_STAT_CRC | ZIP_STAT_COMP_METHOD | ZIP_STAT_ENCRYPTION_METHOD;
    const bool deflated = (st.valid & known) == known && st.comp_method == ZIP_CM_DEFLATE &&
                          st.encryption_method == ZIP_EM_NONE;
    file_ = zip_fopen_index(archive, at, deflated ? ZIP_FL_COMPRESSED : 0);
    if (file_ == nullptr) damaged(name_, zip_error_strerror(zip_get_error(archive)));
    if (deflated) {
        inflater_ = std::make_unique<Inflater>();
        isal_inflate_init(&inflater_->state);
        inflater_->state.crc_flag = ISAL_GZIP_NO_HDR; // raw deflate, with the CRC-32 of zip
        crc_ = st.crc;
    }
}
EntryStream::~EntryStream() {
    if (file_ != nullptr) zip_fclose(file_);
}

std::size_t EntryStream::inflate(char* into, std::size_t size) {
    Inflater& f = *inflater_;
    inflate_state& st = f.state;
    st.next_out = reinterpret_cast<std::uint8_t*>(into);
    st.avail_out = static_cast<std::uint32_t>(std::min<std::size_t>(size, UINT32_MAX));
    while (!f.finished && st.avail_out > 0) {
        if (st.avail_in == 0 && !f.input_ended) {
            const zip_int64_t n = zip_fread(file_, f.input.data(), f.input.size());
            if (n < 0) damaged(name_, zip_error_strerror(zip_file_get_error(file_)));
            f.input_ended = n == 0;
            st.next_in = f.input.data();
            st.avail_in = static_cast<std::uint32_t>(n);
        }
        const std::uint32_t out_before = st.avail_out;
        const std::uint32_t in_before = st.avail_in;
        if (isal_inflate(&st) < 0) damaged(name_, "damaged compressed data");
        if (st.block_state == ISAL_BLOCK_FINISH) {
            f.finished = true;
        } else if (f.input_ended && st.avail_in == 0 && st.avail_out == out_before &&
                   in_before == 0) {
            damaged(name_, "damaged compressed data (it ends early)");
        }
    }
    const std::size_t got = size - st.avail_out;
    // At the end, what libzip checks there: the CRC-32. The declared size is not checked, as
    // libzip does not: what is read is bounded by what it inflates to, not by what it declares.
    if (f.finished && got == 0 && st.crc != crc_) damaged(name_, "CRC error");
    return got;
}

std::size_t EntryStream::read(char* into, std::size_t size) {
    std::uint64_t got = 0;
    if (inflater_) {
        got = inflate(into, size);
    } else {
        const zip_int64_t n = zip_fread(file_, into, size);
        if (n < 0) damaged(name_, zip_error_strerror(zip_file_get_error(file_)));
        got = static_cast<std::uint64_t>(n);
    }
    inflated_ += got;
    if (inflated_ > limit_) damaged(name_, "larger than a workbook part may be");
    if (inflated_ > options_.ratio_checked_after &&
        inflated_ / options_.max_inflate_ratio > compressed_) {
        damaged(name_, fmt::format("inflates more than {} times its compressed size (a zip bomb)",
                                   options_.max_inflate_ratio));
    }
    return static_cast<std::size_t>(got);
}

namespace {

const char* chars(const xmlChar* s) {
    return reinterpret_cast<const char*>(s);
}

const char* no_attributes[] = {nullptr};

// What an XML error is, in words of its own (libxml2's own message can quote the part's text).
std::string xml_error_text(int code) {
    switch (code) {
    case XML_ERR_GT_REQUIRED:
    case XML_ERR_LT_REQUIRED:
    case XML_ERR_LT_IN_ATTRIBUTE:
    case XML_ERR_ATTRIBUTE_NOT_STARTED:
    case XML_ERR_ATTRIBUTE_WITHOUT_VALUE:
    case XML_ERR_EQUAL_REQUIRED:
    case XML_ERR_NAME_REQUIRED:
    case XML_ERR_SPACE_REQUIRED:
    case XML_ERR_STRING_NOT_STARTED:
    case XML_ERR_STRING_NOT_CLOSED:
        return "not well-formed (invalid token)";
    case XML_ERR_TAG_NAME_MISMATCH:
    case XML_ERR_LTSLASH_REQUIRED:
        return "mismatched tag";
    case XML_ERR_DOCUMENT_EMPTY:
        return "no element found";
    case XML_ERR_TAG_NOT_FINISHED:
        return "the part ends inside an element";
    case XML_ERR_EXTRA_CONTENT:
    case XML_ERR_NOT_WELL_BALANCED:
        return "junk after document element";
    case XML_ERR_INVALID_CHAR:
    case XML_ERR_INVALID_ENCODING:
        return "a character that is not allowed, or not in the part's encoding";
    case XML_ERR_INVALID_HEX_CHARREF:
    case XML_ERR_INVALID_DEC_CHARREF:
    case XML_ERR_INVALID_CHARREF:
        return "reference to invalid character number";
    case XML_ERR_UNDECLARED_ENTITY:
    case XML_WAR_UNDECLARED_ENTITY:
    case XML_ERR_ENTITYREF_NO_NAME:
    case XML_ERR_ENTITYREF_SEMICOL_MISSING:
        return "undefined entity";
    case XML_ERR_ATTRIBUTE_REDEFINED:
        return "duplicate attribute";
    case XML_ERR_UNKNOWN_ENCODING:
    case XML_ERR_UNSUPPORTED_ENCODING:
    case XML_ERR_ENCODING_NAME:
        return "unknown encoding";
    case XML_ERR_RESERVED_XML_NAME:
        return "XML declaration not at the start of the part";
    default:
        return fmt::format("not well-formed (libxml2 error {})", code);
    }
}

// An error is told by the parse's result; libxml2 writes nothing of its own.
void quiet(void*, const char*, ...) {}

// Thrown from a callback when a part declares a document type; said with the part's name.
struct DoctypeRefused {};

} // namespace

// The SAX callbacks: their user data is the XmlStream, or a Fragment for parse_fragment.
struct XmlStream::Events {
    template <typename Owner, typename F> static void guarded(void* self, F&& f) {
        auto& owner = *static_cast<Owner*>(self);
        if (owner.error_) return;
        owner.since_event_ = 0;
        try {
            f(owner.handler_);
        } catch (...) {
            owner.error_ = std::current_exception();
            xmlStopParser(owner.parser_);
        }
    }
    template <typename Owner> static xmlSAXHandler handler() {
        xmlSAXHandler sax{}; // SAX1 (not XML_SAX2_MAGIC): names with their prefixes
        sax.startElement = [](void* self, const xmlChar* name, const xmlChar** atts) {
            static_cast<Owner*>(self)->started_ = true;
            guarded<Owner>(self, [&](XmlHandler& h) {
                h.start(local_name(chars(name)),
                        atts != nullptr ? reinterpret_cast<const char**>(atts) : no_attributes);
            });
        };
        sax.endElement = [](void* self, const xmlChar* name) {
            guarded<Owner>(self, [&](XmlHandler& h) { h.end(local_name(chars(name))); });
        };
        sax.characters = [](void* self, const xmlChar* s, int len) {
            guarded<Owner>(self, [&](XmlHandler& h) {
                h.text({chars(s), static_cast<std::size_t>(len)});
            });
        };
        sax.ignorableWhitespace = sax.characters; // all whitespace is text
        sax.cdataBlock = sax.characters;
        // A workbook part never has a DTD: refusing one before its internal subset is read
        // leaves no room for entity expansion.
        sax.internalSubset = [](void* self, const xmlChar*, const xmlChar*, const xmlChar*) {
            guarded<Owner>(self, [&](XmlHandler&) { throw DoctypeRefused(); });
        };
        sax.warning = quiet;
        sax.error = quiet;
        sax.fatalError = quiet;
        return sax;
    }
};

namespace {

constexpr int parse_options = XML_PARSE_NONET;

// A piece parsed by parse_fragment: what its callbacks reach.
struct Fragment {
    XmlHandler& handler_;
    xmlParserCtxtPtr parser_ = nullptr;
    std::uint64_t since_event_ = 0;
    bool started_ = false;
    std::exception_ptr error_;
};

} // namespace

void prepare_xml() {
    static std::once_flag once;
    std::call_once(once, [] { xmlInitParser(); });
}

XmlStream::XmlStream(std::string name, XmlHandler& handler)
    : name_(std::move(name)), handler_(handler) {
    prepare_xml();
}

XmlStream::~XmlStream() {
    if (parser_ != nullptr) xmlFreeParserCtxt(parser_);
}

bool XmlStream::declared_utf8() const {
    if (parser_ == nullptr || parser_->input == nullptr) return true;
    return parser_->input->buf == nullptr || parser_->input->buf->encoder == nullptr;
}

int XmlStream::push(const char* data, std::size_t size, bool last) {
    if (parser_ == nullptr) {
        // libxml2 tells the encoding by the first four bytes it is created with.
        first_bytes_.append(data, size);
        if (first_bytes_.size() < 4 && !last) return 0;
        static const xmlSAXHandler sax = Events::handler<XmlStream>();
        xmlSetGenericErrorFunc(nullptr, quiet);
        const std::size_t head = std::min<std::size_t>(4, first_bytes_.size());
        parser_ = xmlCreatePushParserCtxt(const_cast<xmlSAXHandler*>(&sax), this,
                                          first_bytes_.data(), static_cast<int>(head), nullptr);
        if (parser_ == nullptr) throw std::bad_alloc();
        xmlCtxtUseOptions(parser_, parse_options);
        const int r = xmlParseChunk(parser_, first_bytes_.data() + head,
                                    static_cast<int>(first_bytes_.size() - head), last ? 1 : 0);
        first_bytes_.clear();
        return r;
    }
    return xmlParseChunk(parser_, data, static_cast<int>(size), last ? 1 : 0);
}

void XmlStream::fail() {
    if (error_) {
        try {
            std::rethrow_exception(error_);
        } catch (const DoctypeRefused&) {
            damaged(name_, "a document type declaration");
        }
    }
    const xmlError* e = parser_ != nullptr ? &parser_->lastError : nullptr;
    const int code = e != nullptr ? e->code : XML_ERR_INTERNAL_ERROR;
    const auto line = static_cast<std::uint64_t>(e != nullptr && e->line > 0 ? e->line : 0);
    // The push parser's one code for a part that does not end where its document does.
    const std::string what = code != XML_ERR_DOCUMENT_END ? xml_error_text(code)
                             : !started_                  ? "no element found"
                             : parser_->nameNr > 0        ? "the part ends inside an element"
                                                          : "junk after document element";
    damaged(name_, fmt::format("XML error at line {}: {}", line + skipped_lines_, what));
}

void XmlStream::parse(const char* data, std::size_t size, bool last) {
    since_event_ += size;
    for (std::size_t done = 0;;) {
        // libxml2 takes an int's worth at a time.
        const std::size_t n = std::min<std::size_t>(size - done, 1 << 30);
        const bool end = last && done + n == size;
        const int r = push(data + done, n, end);
        if (r != 0 || error_ || (parser_ != nullptr && parser_->wellFormed == 0)) fail();
        done += n;
        if (done == size) break;
    }
    if (since_event_ > max_token_bytes) damaged(name_, "an XML token too large");
}

bool parse_fragment(const char* data, std::size_t size, XmlHandler& handler) {
    prepare_xml();
    xmlSetGenericErrorFunc(nullptr, quiet);
    // The piece within an element of its own, in one buffer.
    static constexpr std::string_view open = "<w>", close = "</w>";
    thread_local std::string document;
    document.assign(open);
    document.append(data, size);
    document.append(close);
    static const xmlSAXHandler sax = XmlStream::Events::handler<Fragment>();
    Fragment fragment{handler, nullptr, 0, false, nullptr};
    const std::unique_ptr<xmlParserCtxt, void (*)(xmlParserCtxtPtr)> parser(
        xmlCreateMemoryParserCtxt(document.data(), static_cast<int>(document.size())),
        xmlFreeParserCtxt);
    if (!parser || parser->sax == nullptr) throw std::bad_alloc();
    fragment.parser_ = parser.get();
    *parser->sax = sax;
    parser->userData = &fragment;
    xmlCtxtUseOptions(parser.get(), parse_options);
    return xmlParseDocument(parser.get()) == 0 && parser->wellFormed != 0 && !fragment.error_;
}

void read_part(zip_t* archive, const std::string& name, std::uint64_t limit,
               const XlsxReadOptions& options, XmlHandler& handler) {
    EntryStream entry(archive, name, limit, options);
    XmlStream xml(name, handler);
    std::vector<char> buffer(chunk_bytes);
    for (;;) {
        const std::size_t n = entry.read(buffer.data(), buffer.size());
        xml.parse(buffer.data(), n, n == 0);
        if (n == 0) return;
    }
}

} // namespace claimreg::xlsx
