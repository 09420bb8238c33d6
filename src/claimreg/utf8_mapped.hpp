#pragma once
// utf8proc_map with its result owned: the one place that frees what utf8proc allocates.
// Private to the library.

#include <cstdlib>
#include <memory>
#include <string_view>

#include <utf8proc.h>

namespace claimreg {

/// The text utf8proc_map makes of `s` under `options`, or none when `s` is not valid UTF-8.
class Utf8Mapped {
public:
    Utf8Mapped(std::string_view s, int options) {
        utf8proc_uint8_t* out = nullptr;
        size_ = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(s.data()),
                             static_cast<utf8proc_ssize_t>(s.size()), &out,
                             static_cast<utf8proc_option_t>(options));
        data_.reset(out);
    }
    /// Whether the input was valid UTF-8 (then the other members hold the result).
    bool ok() const noexcept { return size_ >= 0; }
    const utf8proc_uint8_t* bytes() const noexcept { return data_.get(); }
    utf8proc_ssize_t size() const noexcept { return size_; }
    std::string_view text() const noexcept {
        return {reinterpret_cast<const char*>(data_.get()), static_cast<std::size_t>(size_)};
    }

private:
    struct Free {
        void operator()(utf8proc_uint8_t* p) const noexcept { std::free(p); }
    };
    std::unique_ptr<utf8proc_uint8_t, Free> data_;
    utf8proc_ssize_t size_ = -1;
};

} // namespace claimreg
