// The Forward tab: token ids in, the top-k next tokens per position out (core run_forward +
// top_tokens), and a second checkpoint compared per position (core compare_logits). The
// model passes QAbstractItemModelTester; a model against itself differs by exactly zero.
// The tab's own Cancel stops its run and no other task.
#include <catch2/catch.hpp>

#include <QAbstractItemModelTester>
#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTabWidget>
#include <QThread>

#include <atomic>

#include "main_window.h"
#include "models/forward_model.h"
#include "strata/forward/forward.h"
#include "studio_test_util.h"
#include "views/forward_panel.h"

using namespace strata;
using namespace strata::studio;
using strata::studio::test::DemoModel;
using strata::studio::test::wait_until;

TEST_CASE("forward panel: top-k per position on the tiny model, and the model against itself", "[studio][forward]") {
    DemoModel demo("tiny");
    REQUIRE(demo.ok());
    StudioContext ctx;
    ForwardPanel panel(&ctx);
    ForwardModel* m = panel.model();
    QAbstractItemModelTester tester(m, QAbstractItemModelTester::FailureReportingMode::Fatal);
    QSignalSpy done(&panel, &ForwardPanel::forward_finished);
    panel.set_paths(demo.qpath());
    panel.set_tokens("1, 2, 3, 4");
    panel.top_k()->setValue(3);
    REQUIRE(panel.run());
    REQUIRE(wait_until([&] { return done.count() == 1; }, 60000));
    INFO(panel.summary()->text().toStdString());
    REQUIRE(done.first().first().toBool());
    REQUIRE(m->rowCount() == 4);
    CHECK(m->top_k() == 3);
    CHECK(m->comparison_column() == -1);
    CHECK(m->columnCount() == ForwardModel::FirstTop + 3);
    CHECK(m->index(2, ForwardModel::Token).data().toInt() == 3);

    // The table shows what the core's forward pass says, position by position.
    const std::vector<int32_t> ids{1, 2, 3, 4};
    NullProgress p;
    CancelToken c;
    auto ref = run_forward(demo.path(), ids, {}, p, c);
    REQUIRE(ref.is_ok());
    for (int t = 0; t < 4; ++t) {
        const auto top = top_tokens(ref->row(uint64_t(t)), 3);
        for (int k = 0; k < 3; ++k)
            CHECK(m->index(t, ForwardModel::FirstTop + k).data(Qt::UserRole).toInt() == top[size_t(k)].id);
    }

    // Compared with itself: zero difference, zero KL, every top-1 agrees.
    panel.set_paths(demo.qpath(), demo.qpath());
    REQUIRE(panel.run());
    REQUIRE(wait_until([&] { return done.count() == 2; }, 60000));
    REQUIRE(done.last().first().toBool());
    REQUIRE(m->rowCount() == 4);
    const int cc = m->comparison_column();
    REQUIRE(cc == ForwardModel::FirstTop + 3);
    CHECK(m->columnCount() == cc + 4);
    for (int t = 0; t < 4; ++t) {
        CHECK(m->index(t, cc).data(Qt::UserRole).toInt() ==
              m->index(t, ForwardModel::FirstTop).data(Qt::UserRole).toInt());
        CHECK(m->index(t, cc + 1).data(Qt::UserRole).toDouble() == 0.0);
        CHECK(m->index(t, cc + 2).data(Qt::UserRole).toDouble() == 0.0);
        CHECK(m->index(t, cc + 3).data(Qt::UserRole).toBool());
    }
    REQUIRE(m->run()->comparison);
    CHECK(m->run()->comparison->top1_agreement == 1.0);
    CHECK(panel.summary()->text().contains("100.0%"));

    // A bad id is the core's one-line error, and the table empties.
    panel.set_tokens("1, x");
    REQUIRE(panel.run());
    REQUIRE(wait_until([&] { return done.count() == 3; }, 60000));
    CHECK_FALSE(done.last().first().toBool());
    CHECK(m->rowCount() == 0);
    CHECK(panel.summary()->text().contains("x"));
}

TEST_CASE("the main window has a forward tab that follows the open checkpoint", "[studio][forward][window]") {
    DemoModel demo("tiny");
    REQUIRE(demo.ok());
    MainWindow w;
    w.show();
    CHECK(w.tab_names().contains("forward"));
    REQUIRE(w.show_tab("forward"));
    CHECK(w.tabs()->currentWidget() == w.forward());
    w.open_path(demo.qpath());
    REQUIRE(wait_until([&] { return !w.loading(); }));
    QSignalSpy done(w.forward(), &ForwardPanel::forward_finished);
    w.forward()->set_tokens("5,6");
    REQUIRE(w.forward()->run());  // A defaults to the open checkpoint
    REQUIRE(wait_until([&] { return done.count() == 1; }, 60000));
    CHECK(done.first().first().toBool());
    CHECK(w.forward()->model()->rowCount() == 2);
}

TEST_CASE("forward panel: its Cancel stops its own run only and says so", "[studio][forward][cancel]") {
    DemoModel demo("tiny");
    REQUIRE(demo.ok());
    StudioContext ctx;
    ForwardPanel panel(&ctx);
    panel.show();
    QSignalSpy done(&panel, &ForwardPanel::forward_finished);
    CHECK_FALSE(panel.cancel_button()->isEnabled());  // nothing to cancel yet

    // Other work (a conversion, say) holds every worker thread until released, so the
    // forward task waits in the queue and the Cancel below always lands before it runs.
    TaskRunner* runner = ctx.runner();
    std::atomic<bool> release{false};
    std::vector<TaskPtr> others;
    std::vector<StatusCode> other_codes;
    QObject receiver;
    for (int i = 0; i < runner->concurrency(); ++i)
        others.push_back(runner->run<Status>(
            "other",
            [&release](ProgressSink&, const CancelToken& c) {
                while (!release && !c.is_cancelled()) QThread::msleep(1);
                return c.check();
            },
            &receiver, [&other_codes](Status s) { other_codes.push_back(s.code()); }));

    panel.set_paths(demo.qpath());
    panel.set_tokens("1,2,3");
    REQUIRE(panel.run());
    CHECK(panel.running());
    CHECK(panel.cancel_button()->isEnabled());
    CHECK_FALSE(panel.run_button()->isEnabled());
    QTest::mouseClick(panel.cancel_button(), Qt::LeftButton);
    for (const TaskPtr& t : others) CHECK_FALSE(t->cancel.is_cancelled());  // only the forward task

    release = true;
    REQUIRE(wait_until([&] { return done.count() == 1 && runner->idle(); }, 60000));
    CHECK_FALSE(done.first().first().toBool());
    CHECK(other_codes == std::vector<StatusCode>(others.size(), StatusCode::Ok));
    const QString said = panel.summary()->text();
    INFO(said.toStdString());
    CHECK(said.contains("cancelled", Qt::CaseInsensitive));
    CHECK_FALSE(said.contains("#b00000"));  // not drawn as an error
    CHECK(panel.model()->rowCount() == 0);
    CHECK_FALSE(panel.running());
    CHECK_FALSE(panel.cancel_button()->isEnabled());
    CHECK(panel.run_button()->isEnabled());

    // The next run is not affected by the cancelled one.
    REQUIRE(panel.run());
    REQUIRE(wait_until([&] { return done.count() == 2; }, 60000));
    CHECK(done.last().first().toBool());
    CHECK(panel.model()->rowCount() == 3);
}
