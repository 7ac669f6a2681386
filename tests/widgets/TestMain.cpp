#include "TestMain.h"

#include "widgets/EngineClient.h"

#include <QApplication>
#include <QTest>

#include <cstdio>
#include <vector>

namespace moodsteer::test {
std::map<std::string, SuiteFactory>& suites() {
    static std::map<std::string, SuiteFactory> all;
    return all;
}
} // namespace moodsteer::test

int main(int argc, char** argv) {
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    moodsteer::widgets::registerEngineMetaTypes();
    auto& all = moodsteer::test::suites();
    std::vector<char*> args{argv[0]};
    std::string only;
    if (argc > 1 && all.count(argv[1])) {
        only = argv[1];
        for (int i = 2; i < argc; ++i)
            args.push_back(argv[i]);
    } else {
        for (int i = 1; i < argc; ++i)
            args.push_back(argv[i]);
    }
    int failures = 0;
    for (auto& [name, make] : all) {
        if (!only.empty() && name != only) continue;
        auto suite = make();
        failures += QTest::qExec(suite.get(), int(args.size()), args.data());
    }
    std::printf("widgets_tests: %d failing test function(s)\n", failures);
    return failures == 0 ? 0 : 1;
}
