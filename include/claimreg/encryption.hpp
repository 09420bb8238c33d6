#pragma once
// OpenPGP encryption of an output through GPGME, with the keys of the user's keyring
// (GNUPGHOME honoured). Recipients are checked before any work; the plaintext then streams
// from its writer to GPGME through a pipe inside the process, so only ciphertext reaches the
// output.

#include <cstddef>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "claimreg/error.hpp"

namespace claimreg {

/// Whom to encrypt to, and how.
struct EncryptionOptions {
    std::vector<std::string> recipients; ///< key ids, fingerprints or e-mail addresses
    std::vector<std::string> trusted;    ///< fingerprints of keys accepted although not valid
    bool armor = false;                  ///< ASCII armor instead of binary OpenPGP
};

/// OpenPGP encryption cannot be set up here: no OpenPGP engine (gpg), or the keyring cannot be
/// read. Exit status 64, as for the request that asked for it.
class EncryptionError : public Error {
  public:
    explicit EncryptionError(const std::string& m) : Error(m, ExitStatus::usage) {}
};

/// A recipient or a trusted fingerprint that cannot be used (a caller's value, 64). The message
/// names the key by its fingerprint or by the id as given when that is hexadecimal, never by a
/// user id or an e-mail address; the caller adds which option and position it came from.
class KeyError : public ValueError {
  public:
    /// Which list of EncryptionOptions the faulty entry is in.
    enum class Entry { recipient, trusted };

    /// A problem with entry `index` (0-based) of the `entry` list. `fingerprint` is set when
    /// the key was found and could be accepted by trusting that fingerprint.
    KeyError(Entry entry, std::size_t index, const std::string& problem,
             std::string pinnable_fingerprint = {})
        : ValueError(problem), entry_(entry), index_(index),
          pinnable_(std::move(pinnable_fingerprint)) {}
    Entry entry() const noexcept { return entry_; }
    std::size_t index() const noexcept { return index_; }
    /// The fingerprint to trust to accept this key, or empty when trusting cannot help.
    const std::string& pinnable_fingerprint() const noexcept { return pinnable_; }

  private:
    Entry entry_;
    std::size_t index_;
    std::string pinnable_;
};

/// The recipients' keys, looked up and checked: each entry names exactly one key, which is
/// not expired, revoked, disabled or invalid, has a usable encryption subkey, and is fully
/// valid in the keyring or trusted by its exact fingerprint. Every trusted fingerprint must
/// be one of the recipients' keys.
class Recipients {
  public:
    /// Looks up `options`' recipients in the user's keyring. Throws KeyError for the first
    /// entry that fails a check, EncryptionError when no OpenPGP engine (gpg) is available or
    /// the keyring cannot be read.
    explicit Recipients(const EncryptionOptions& options);
    ~Recipients();
    Recipients(const Recipients&) = delete;
    Recipients& operator=(const Recipients&) = delete;

    /// The primary key fingerprints, in the order given.
    std::vector<std::string> fingerprints() const;

    /// Calls `write_plaintext` with a stream (not to be closed) whose bytes are encrypted to
    /// the recipients and written to `out`, which is flushed. The plaintext passes through an
    /// in-process pipe only. Rethrows what `write_plaintext` throws; throws IoError when
    /// encrypting or writing `out` fails. May be called once.
    void encrypt(std::FILE* out, const std::function<void(std::FILE*)>& write_plaintext);

  private:
    struct Keys;
    std::unique_ptr<Keys> keys_;
    bool armor_ = false;
};

} // namespace claimreg
