// The xlsx reader's access to a workbook's parts: the zip archive, an entry inflated within
// its bounds, and a part's XML streamed through expat.

#include "xlsx_archive.hpp"

#include <strings.h>
#include <unistd.h>

#include <cerrno>
#include <new>
#include <vector>

#include <fmt/format.h>

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

EntryStream::EntryStream(zip_t* archive, std::string name, std::uint64_t limit,
                         const XlsxReadOptions& options)
    : name_(std::move(name)), limit_(limit), options_(options) {
    zip_stat_t st;
    zip_stat_init(&st);
    const zip_int64_t index = zip_name_locate(archive, name_.c_str(), 0);
    if (index < 0) damaged(name_, "missing");
    if (zip_stat_index(archive, static_cast<zip_uint64_t>(index), 0, &st) != 0) {
        damaged(name_, "unreadable entry");
    }
    compressed_ = (st.valid & ZIP_STAT_COMP_SIZE) ? st.comp_size : 0;
    declared_ = (st.valid & ZIP_STAT_SIZE) ? st.size : 0;
    file_ = zip_fopen_index(archive, static_cast<zip_uint64_t>(index), 0);
    if (file_ == nullptr) damaged(name_, zip_error_strerror(zip_get_error(archive)));
}
EntryStream::~EntryStream() {
    if (file_ != nullptr) zip_fclose(file_);
}

std::size_t EntryStream::read(char* into, std::size_t size) {
    const zip_int64_t n = zip_fread(file_, into, size);
    if (n < 0) damaged(name_, zip_error_strerror(zip_file_get_error(file_)));
    const auto got = static_cast<std::uint64_t>(n);
    inflated_ += got;
    if (inflated_ > limit_) damaged(name_, "larger than a workbook part may be");
    if (inflated_ > options_.ratio_checked_after &&
        inflated_ / options_.max_inflate_ratio > compressed_) {
        damaged(name_, fmt::format("inflates more than {} times its compressed size (a zip bomb)",
                                   options_.max_inflate_ratio));
    }
    return static_cast<std::size_t>(got);
}

XmlStream::XmlStream(std::string name, XmlHandler& handler)
    : name_(std::move(name)), handler_(handler) {
    parser_ = XML_ParserCreate(nullptr);
    if (parser_ == nullptr) throw std::bad_alloc();
    XML_SetUserData(parser_, this);
    XML_SetElementHandler(parser_, on_start, on_end);
    XML_SetCharacterDataHandler(parser_, on_text);
    // A workbook part never has a DTD: refusing one leaves no room for entity expansion.
    XML_SetStartDoctypeDeclHandler(parser_, on_doctype);
    XML_SetXmlDeclHandler(parser_, on_xml_decl);
}

XmlStream::~XmlStream() {
    XML_ParserFree(parser_);
}

void XmlStream::parse(const char* data, std::size_t size, bool last) {
    since_event_ += size;
    if (XML_Parse(parser_, data, static_cast<int>(size), last ? XML_TRUE : XML_FALSE) !=
        XML_STATUS_OK) {
        if (error_) std::rethrow_exception(error_);
        damaged(name_, fmt::format("XML error at line {}: {}",
                                   XML_GetCurrentLineNumber(parser_) + skipped_lines_,
                                   XML_ErrorString(XML_GetErrorCode(parser_))));
    }
    if (since_event_ > max_token_bytes) damaged(name_, "an XML token too large");
}

template <typename F> void XmlStream::guarded(void* self, F&& f) {
    auto* part = static_cast<XmlStream*>(self);
    if (part->error_) return;
    part->since_event_ = 0;
    try {
        f(*part);
    } catch (...) {
        part->error_ = std::current_exception();
        XML_StopParser(part->parser_, XML_FALSE);
    }
}

void XmlStream::on_start(void* self, const XML_Char* name, const XML_Char** atts) {
    guarded(self, [&](XmlStream& p) { p.handler_.start(local_name(name), atts); });
}

void XmlStream::on_end(void* self, const XML_Char* name) {
    guarded(self, [&](XmlStream& p) { p.handler_.end(local_name(name)); });
}

void XmlStream::on_text(void* self, const XML_Char* s, int len) {
    guarded(self, [&](XmlStream& p) { p.handler_.text({s, static_cast<std::size_t>(len)}); });
}

void XmlStream::on_doctype(void* self, const XML_Char*, const XML_Char*, const XML_Char*, int) {
    guarded(self, [](XmlStream& p) { damaged(p.name_, "a document type declaration"); });
}

void XmlStream::on_xml_decl(void* self, const XML_Char*, const XML_Char* encoding, int) {
    auto* part = static_cast<XmlStream*>(self);
    part->declared_utf8_ = encoding == nullptr || ::strcasecmp(encoding, "UTF-8") == 0;
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
