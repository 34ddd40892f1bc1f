// Helpers for the Studio tests: a synthesized demo checkpoint in a TempDir and
// a bounded wait that spins the event loop (tests only; the app never does).
// Usage: DemoModel demo("tiny"); window.open_path(demo.qpath()); REQUIRE(wait_until([&] { return !w.loading(); }));
#pragma once

#include <QString>
#include <QTest>

#include <functional>

#include "strata/synth/synth.h"
#include "support/temp_dir.h"

namespace strata::studio::test {

class DemoModel {
public:
    explicit DemoModel(const std::string& preset = "tiny", bool sparse = false, int layers = 0) {
        SynthOptions o;
        o.preset = preset;
        o.out = dir_.path() / "model";
        o.sparse = sparse;
        o.layers = layers;
        NullProgress p;
        CancelToken c;
        status_ = synthesize(o, p, c);
    }
    bool ok() const { return status_.is_ok(); }
    std::string error() const { return status_.to_string(); }
    std::filesystem::path path() const { return dir_.path() / "model"; }
    QString qpath() const { return QString::fromStdString(path().string()); }
    const strata::test::TempDir& dir() const { return dir_; }

private:
    strata::test::TempDir dir_;
    Status status_;
};

// Spins the event loop until pred() holds or timeout_ms passes.
inline bool wait_until(const std::function<bool()>& pred, int timeout_ms = 20000) {
    return QTest::qWaitFor(pred, timeout_ms);
}

}  // namespace strata::studio::test
