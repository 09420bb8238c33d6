#include "claimreg/encryption.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <clocale>
#include <exception>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>

#include <fmt/format.h>
#include <gpgme.h>

#include "claimreg/files.hpp"
#include "claimreg/text.hpp"

namespace claimreg {

namespace {

// Big buffers between the exporter, GPGME and gpg: fewer system calls per megabyte.
constexpr int pipe_bytes = 1 << 20;
constexpr std::size_t stream_buffer_bytes = 1 << 16;
constexpr const char* io_buffer_bytes = "262144";

// GPGME wants its version checked (which initialises it) before anything else, once.
void initialise_gpgme() {
    static std::once_flag once;
    std::call_once(once, [] {
        gpgme_check_version(nullptr);
        // The process's own locale, unchanged: gpg needs it only for a pinentry, which
        // encrypting to public keys never asks for.
        gpgme_set_locale(nullptr, LC_CTYPE, std::setlocale(LC_CTYPE, nullptr));
    });
    if (gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP) != GPG_ERR_NO_ERROR) {
        throw EncryptionError("OpenPGP encryption needs GnuPG (gpg), which was not found");
    }
}

std::string gpgme_text(gpgme_error_t err) { return gpgme_strerror(err); }

bool is_hex(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), is_ascii_hex_digit);
}

// How a recipient was named.
struct Recipient {
    enum class Kind { key_id, email } kind;
    std::string pattern; ///< what the keyring is searched for
    std::string address; ///< Kind::email: the address, lower-cased
};

// A key id (8 or 16 hex digits, `0x` allowed), a fingerprint (40 or 64) or an e-mail address
// (`<...>` allowed); nothing else (names would be searched as substrings).
std::optional<Recipient> classify(std::string_view given) {
    std::string_view hex = given;
    if (hex.size() > 2 && hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X')) hex.remove_prefix(2);
    if (is_hex(hex) && (hex.size() == 8 || hex.size() == 16 || hex.size() == 40 || hex.size() == 64)) {
        return Recipient{
            Recipient::Kind::key_id, (hex.size() <= 16 ? "0x" : "") + to_ascii_upper(hex), {}};
    }
    std::string_view address = given;
    if (address.size() > 2 && address.front() == '<' && address.back() == '>') {
        address = address.substr(1, address.size() - 2);
    }
    const std::size_t at = address.find('@');
    const bool plain = std::none_of(address.begin(), address.end(), [](char c) {
        return c == '<' || c == '>' || std::isspace(static_cast<unsigned char>(c)) ||
               std::iscntrl(static_cast<unsigned char>(c));
    });
    if (!plain || at == std::string_view::npos || at == 0 || at + 1 == address.size() ||
        address.find('@', at + 1) != std::string_view::npos) {
        return std::nullopt;
    }
    return Recipient{Recipient::Kind::email, "<" + std::string(address) + ">",
                     to_ascii_lower(address)};
}

bool is_fingerprint(std::string_view text) {
    return is_hex(text) && (text.size() == 40 || text.size() == 64);
}

// Whether the key has a subkey that can encrypt now.
bool can_encrypt(gpgme_key_t key) {
    if (key->can_encrypt == 0) return false;
    for (gpgme_subkey_t sub = key->subkeys; sub != nullptr; sub = sub->next) {
        if (sub->can_encrypt != 0 && sub->revoked == 0 && sub->expired == 0 &&
            sub->disabled == 0 && sub->invalid == 0) {
            return true;
        }
    }
    return false;
}

// The key's validity for this recipient: the best of its user ids (those with the address,
// when the recipient was an address) that are not revoked.
gpgme_validity_t validity(gpgme_key_t key, const Recipient& recipient) {
    gpgme_validity_t best = GPGME_VALIDITY_UNKNOWN;
    for (gpgme_user_id_t uid = key->uids; uid != nullptr; uid = uid->next) {
        if (uid->revoked != 0 || uid->invalid != 0) continue;
        if (recipient.kind == Recipient::Kind::email &&
            (uid->email == nullptr || to_ascii_lower(uid->email) != recipient.address)) {
            continue;
        }
        best = std::max(best, uid->validity);
    }
    return best;
}

const char* why_not_valid(gpgme_validity_t v) {
    switch (v) {
    case GPGME_VALIDITY_NEVER: return "marked as never valid";
    case GPGME_VALIDITY_MARGINAL: return "only marginally valid";
    default: return "imported, never certified";
    }
}

} // namespace

struct Recipients::Keys {
    gpgme_ctx_t ctx = nullptr;
    std::vector<gpgme_key_t> keys; ///< null-terminated for gpgme_op_encrypt
    bool pinned = false;           ///< some key is accepted by its pinned fingerprint only
    bool used = false;

    ~Keys() {
        for (gpgme_key_t key : keys) {
            if (key != nullptr) gpgme_key_unref(key);
        }
        if (ctx != nullptr) gpgme_release(ctx);
    }
};

Recipients::Recipients(const EncryptionOptions& options)
    : keys_(std::make_unique<Keys>()), armor_(options.armor) {
    using Entry = KeyError::Entry;
    std::vector<std::string> pins;
    for (std::size_t i = 0; i < options.trusted.size(); ++i) {
        if (!is_fingerprint(options.trusted[i])) {
            throw KeyError(Entry::trusted, i, "not a fingerprint (40 or 64 hexadecimal digits)");
        }
        pins.push_back(to_ascii_upper(options.trusted[i]));
    }
    std::vector<Recipient> recipients;
    for (std::size_t i = 0; i < options.recipients.size(); ++i) {
        std::optional<Recipient> r = classify(options.recipients[i]);
        if (!r) throw KeyError(Entry::recipient, i, "not a key id, fingerprint or e-mail address");
        recipients.push_back(std::move(*r));
    }

    initialise_gpgme();
    gpgme_error_t err = gpgme_new(&keys_->ctx);
    if (err == GPG_ERR_NO_ERROR) err = gpgme_set_protocol(keys_->ctx, GPGME_PROTOCOL_OpenPGP);
    if (err == GPG_ERR_NO_ERROR) err = gpgme_set_keylist_mode(keys_->ctx, GPGME_KEYLIST_MODE_LOCAL);
    if (err != GPG_ERR_NO_ERROR) {
        throw EncryptionError("cannot start OpenPGP encryption: " + gpgme_text(err));
    }
    gpgme_set_armor(keys_->ctx, options.armor ? 1 : 0);
    gpgme_set_offline(keys_->ctx, 1);

    std::vector<bool> pin_used(pins.size(), false);
    for (std::size_t i = 0; i < recipients.size(); ++i) {
        const Recipient& r = recipients[i];
        std::vector<gpgme_key_t> found;
        const auto release_found = [&found] {
            for (gpgme_key_t key : found) gpgme_key_unref(key);
            found.clear();
        };
        err = gpgme_op_keylist_start(keys_->ctx, r.pattern.c_str(), 0);
        while (err == GPG_ERR_NO_ERROR) {
            gpgme_key_t key = nullptr;
            err = gpgme_op_keylist_next(keys_->ctx, &key);
            if (err != GPG_ERR_NO_ERROR) break;
            found.push_back(key);
        }
        gpgme_op_keylist_end(keys_->ctx);
        if (gpgme_err_code(err) != GPG_ERR_EOF) {
            release_found();
            throw EncryptionError("cannot read the keyring: " + gpgme_text(err));
        }
        // An address names a key with a user id of exactly that address.
        if (r.kind == Recipient::Kind::email) {
            std::erase_if(found, [&r](gpgme_key_t key) {
                for (gpgme_user_id_t uid = key->uids; uid != nullptr; uid = uid->next) {
                    if (uid->email != nullptr && to_ascii_lower(uid->email) == r.address)
                        return false;
                }
                gpgme_key_unref(key);
                return true;
            });
        }
        if (found.empty()) {
            throw KeyError(Entry::recipient, i,
                           r.kind == Recipient::Kind::email
                               ? std::string("no key for this e-mail address in the keyring")
                               : fmt::format("no key {} in the keyring", options.recipients[i]));
        }
        if (found.size() > 1) {
            release_found();
            throw KeyError(Entry::recipient, i, "more than one key matches; give the fingerprint");
        }
        gpgme_key_t key = found.front();
        keys_->keys.push_back(key); // owned from here
        const std::string fpr = key->subkeys != nullptr && key->subkeys->fpr != nullptr
                                    ? key->subkeys->fpr
                                    : std::string();
        const auto problem = [&](std::string_view what) {
            return KeyError(Entry::recipient, i, fmt::format("key {} {}", fpr, what));
        };
        if (key->revoked != 0) throw problem("is revoked");
        if (key->expired != 0) throw problem("has expired");
        if (key->disabled != 0) throw problem("is disabled");
        if (key->invalid != 0) throw problem("is not usable (invalid)");
        if (!can_encrypt(key)) throw problem("cannot encrypt (no usable encryption subkey)");
        const auto pin = std::find(pins.begin(), pins.end(), to_ascii_upper(fpr));
        if (pin != pins.end()) pin_used[static_cast<std::size_t>(pin - pins.begin())] = true;
        const gpgme_validity_t v = validity(key, r);
        if (v < GPGME_VALIDITY_FULL) {
            if (pin == pins.end()) {
                throw KeyError(Entry::recipient, i,
                               fmt::format("key {} is not valid ({})", fpr, why_not_valid(v)), fpr);
            }
            keys_->pinned = true;
        }
    }
    for (std::size_t i = 0; i < pins.size(); ++i) {
        if (!pin_used[i]) throw KeyError(Entry::trusted, i, "names none of the recipients' keys");
    }
    keys_->keys.push_back(nullptr);
}

Recipients::~Recipients() = default;

std::vector<std::string> Recipients::fingerprints() const {
    std::vector<std::string> out;
    for (gpgme_key_t key : keys_->keys) {
        if (key != nullptr && key->subkeys != nullptr && key->subkeys->fpr != nullptr) {
            out.emplace_back(key->subkeys->fpr);
        }
    }
    return out;
}

void Recipients::encrypt(std::FILE* out, const std::function<void(std::FILE*)>& write_plaintext) {
    if (keys_->used) throw IoError("cannot encrypt the output twice");
    keys_->used = true;
    // A write into the pipe after GPGME stopped reading is an error to report, not a signal.
    ignore_write_signals();
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        throw IoError("cannot encrypt the output: " + errno_text(errno));
    }
    ::fcntl(fds[1], F_SETPIPE_SZ, pipe_bytes); // a smaller pipe works too

    gpgme_data_t plain = nullptr;
    gpgme_data_t cipher = nullptr;
    gpgme_error_t err = gpgme_data_new_from_fd(&plain, fds[0]);
    if (err == GPG_ERR_NO_ERROR) err = gpgme_data_new_from_stream(&cipher, out);
    if (err == GPG_ERR_NO_ERROR) {
        gpgme_data_set_flag(plain, "sensitive", "1");
        gpgme_data_set_flag(plain, "io-buffer-size", io_buffer_bytes);
        gpgme_data_set_flag(cipher, "io-buffer-size", io_buffer_bytes);
        gpgme_data_set_encoding(cipher, armor_ ? GPGME_DATA_ENCODING_ARMOR : GPGME_DATA_ENCODING_BINARY);
    }
    if (err != GPG_ERR_NO_ERROR) {
        if (plain != nullptr) gpgme_data_release(plain);
        ::close(fds[0]);
        ::close(fds[1]);
        throw IoError("cannot encrypt the output: " + gpgme_text(err));
    }

    // Every recipient is valid, or pinned by its fingerprint: only then is gpg told to trust
    // the keys it is given. No compression: it would cost several times the export's time.
    const auto flags = static_cast<gpgme_encrypt_flags_t>(
        GPGME_ENCRYPT_NO_COMPRESS | (keys_->pinned ? GPGME_ENCRYPT_ALWAYS_TRUST : 0));
    gpgme_error_t encrypted = GPG_ERR_NO_ERROR;
    std::thread encryptor([&] {
        encrypted = gpgme_op_encrypt(keys_->ctx, keys_->keys.data(), flags, plain, cipher);
        // The writer's next write fails (EPIPE) if gpg stopped early.
        ::close(fds[0]);
    });

    std::exception_ptr failure;
    std::FILE* pipe_in = ::fdopen(fds[1], "wb");
    if (pipe_in == nullptr) {
        ::close(fds[1]);
        failure = std::make_exception_ptr(IoError("cannot encrypt the output: " + errno_text(errno)));
    } else {
        std::setvbuf(pipe_in, nullptr, _IOFBF, stream_buffer_bytes);
        try {
            write_plaintext(pipe_in);
        } catch (...) {
            failure = std::current_exception();
        }
        // End of the plaintext: gpg finishes the message.
        if (std::fclose(pipe_in) != 0 && !failure) {
            failure = std::make_exception_ptr(IoError("cannot encrypt the output: " + errno_text(errno)));
        }
    }
    encryptor.join();
    gpgme_data_release(plain);
    gpgme_data_release(cipher);

    const bool write_failed = std::ferror(out) != 0;
    if (encrypted != GPG_ERR_NO_ERROR) {
        // The writer's error is then only the pipe closing (or its own, first).
        if (failure) {
            try {
                std::rethrow_exception(failure);
            } catch (const IoError&) {
                // superseded by the encryption error below
            }
        }
        if (write_failed) {
            throw IoError("cannot write the output: " +
                          errno_text(gpgme_err_code_to_errno(gpgme_err_code(encrypted))));
        }
        throw IoError("cannot encrypt the output: " + gpgme_text(encrypted));
    }
    if (failure) std::rethrow_exception(failure);
    if (std::fflush(out) != 0 || write_failed) {
        throw IoError("cannot write the output: " + errno_text(errno));
    }
}

} // namespace claimreg
