#pragma once
// JSON text for machine-readable output: a writer that appends to a caller's buffer.

#include <charconv>
#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>

namespace claimreg {

/// Appends `text` to `out` as a JSON string literal (quotes included, control characters escaped).
void append_json_string(std::string& out, std::string_view text);

/// An object key written as JSON once (`"name":`), for keys repeated on every row.
class JsonKey {
  public:
    explicit JsonKey(std::string_view name);
    /// The key as written: the quoted name and its colon.
    std::string_view text() const { return text_; }

  private:
    std::string text_;
};

/// Writes JSON values into a caller's string: objects, arrays, strings, integers, null and
/// booleans, with the commas between them. Nothing is allocated per value (only the buffer
/// grows). Containers nest up to 64 deep. Text the caller appends to the buffer itself between
/// values (a newline after each line of NDJSON) is left as it is.
class JsonWriter {
  public:
    /// How an array's elements are laid out: on one line, or each on a line of its own
    /// (`[\n{...},\n{...}\n]`; an empty array stays `[]`).
    enum class Layout { compact, lines };

    explicit JsonWriter(std::string& out) : out_(out) {}

    JsonWriter& begin_object();
    JsonWriter& end_object();
    JsonWriter& begin_array(Layout layout = Layout::compact);
    JsonWriter& end_array();
    /// The key of the next value in the current object.
    JsonWriter& key(std::string_view name);
    JsonWriter& key(const JsonKey& name) {
        separate();
        out_ += name.text();
        after_key_ = true;
        return *this;
    }

    JsonWriter& string(std::string_view text) {
        separate();
        append_json_string(out_, text);
        return *this;
    }
    /// A string, or null when `text` is empty (an optional field).
    JsonWriter& nullable_string(std::string_view text);
    /// A number already written as JSON number text (`0.973`, `12`).
    JsonWriter& number(std::string_view text);
    template <std::integral T>
        requires(!std::same_as<T, bool>)
    JsonWriter& integer(T value) {
        separate();
        char digits[24];
        const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
        out_.append(digits, end);
        return *this;
    }
    JsonWriter& boolean(bool value);
    JsonWriter& null();
    /// An array of strings from a comma-separated list (`a,b` -> `["a","b"]`; empty -> `[]`),
    /// as reason codes are stored.
    JsonWriter& codes(std::string_view comma_separated);

  private:
    /// Writes what comes before a value: a comma after an earlier element, a line break in a
    /// Layout::lines array; nothing after a key.
    void separate() {
        if (after_key_) {
            after_key_ = false;
            return;
        }
        if (depth_ > 0) separate_element();
    }
    void separate_element();
    void open(char bracket, bool lines);
    void close(char bracket);

    std::string& out_;
    unsigned depth_ = 0;
    std::uint64_t has_elements_ = 0; ///< bit d: the container at depth d has an element
    std::uint64_t lines_ = 0;        ///< bit d: the container at depth d is a Layout::lines array
    bool after_key_ = false;
};

} // namespace claimreg
