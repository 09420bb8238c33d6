#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

#include "claimreg/encryption.hpp"

namespace test_encryption {

using namespace claimreg;

namespace {

// The KeyError that checking `options` throws (none: nullopt).
struct Refusal {
    KeyError::Entry entry;
    std::size_t index;
    std::string message;
    std::string pinnable;
};
std::optional<Refusal> refusal(const EncryptionOptions& options) {
    try {
        Recipients recipients(options);
    } catch (const KeyError& e) {
        return Refusal{e.entry(), e.index(), e.what(), e.pinnable_fingerprint()};
    }
    return std::nullopt;
}

// Sets GNUPGHOME to a new empty directory while alive.
class EmptyKeyring {
  public:
    EmptyKeyring() {
        std::string tmpl = (std::filesystem::temp_directory_path() / "claimreg-gpg-XXXXXX").string();
        dir_ = ::mkdtemp(tmpl.data());
        if (const char* old = std::getenv("GNUPGHOME")) old_ = old;
        ::setenv("GNUPGHOME", dir_.c_str(), 1);
    }
    ~EmptyKeyring() {
        if (old_) {
            ::setenv("GNUPGHOME", old_->c_str(), 1);
        } else {
            ::unsetenv("GNUPGHOME");
        }
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }
    EmptyKeyring(const EmptyKeyring&) = delete;
    EmptyKeyring& operator=(const EmptyKeyring&) = delete;

  private:
    std::string dir_;
    std::optional<std::string> old_;
};

constexpr const char* fpr40 = "0123456789ABCDEF0123456789ABCDEF01234567";

} // namespace

TEST_CASE("encryption: recipients: only key ids, fingerprints and e-mail addresses, checked by position") {
    for (const char* bad : {"", "Alice Tester", "0x123", "12345678901", "alice@", "@example.nl",
                            "a@b@c", "<alice@example.nl", "alice @example.nl", "0xZZZZZZZZ"}) {
        CAPTURE(bad);
        EncryptionOptions options;
        options.recipients = {fpr40, bad};
        const auto r = refusal(options);
        REQUIRE(r);
        CHECK(r->entry == KeyError::Entry::recipient);
        CHECK(r->index == 1);
        CHECK(r->message == "not a key id, fingerprint or e-mail address");
        CHECK(r->pinnable.empty());
    }
}

TEST_CASE("encryption: trusted fingerprints: 40 or 64 hex digits, checked before any key is looked up") {
    for (const char* bad : {"", "0x0123456789ABCDEF0123456789ABCDEF01234567", "01234567",
                            "0123456789ABCDEF0123456789ABCDEF0123456", "G123456789ABCDEF0123456789ABCDEF01234567"}) {
        CAPTURE(bad);
        EncryptionOptions options;
        options.recipients = {"nobody@example.nl"};
        options.trusted = {fpr40, bad};
        const auto r = refusal(options);
        REQUIRE(r);
        CHECK(r->entry == KeyError::Entry::trusted);
        CHECK(r->index == 1);
        CHECK(r->message == "not a fingerprint (40 or 64 hexadecimal digits)");
    }
}

TEST_CASE("encryption: an unknown key is named by the id as given, an address never") {
    EmptyKeyring keyring;
    EncryptionOptions options;
    options.recipients = {"0xdeadbeefdeadbeef"};
    auto r = refusal(options);
    REQUIRE(r);
    CHECK(r->entry == KeyError::Entry::recipient);
    CHECK(r->index == 0);
    CHECK(r->message == "no key 0xdeadbeefdeadbeef in the keyring");

    options.recipients = {"<anna.berg@example.nl>"};
    r = refusal(options);
    REQUIRE(r);
    CHECK(r->message == "no key for this e-mail address in the keyring");
}

TEST_CASE("encryption: KeyError is a caller's value and EncryptionError the setup (both exit 64)") {
    const KeyError e(KeyError::Entry::recipient, 2, "key X is not valid", fpr40);
    CHECK(e.status() == ExitStatus::usage);
    CHECK(dynamic_cast<const ValueError*>(&e) != nullptr);
    CHECK(EncryptionError("no gpg").status() == ExitStatus::usage);
    CHECK(e.index() == 2);
    CHECK(e.pinnable_fingerprint() == fpr40);
}

} // namespace test_encryption
