// Several Qt Test classes in one executable (one link instead of seven): each class registers
// itself; `widgets_tests NAME [qtest args]` runs one, no name runs all.
#pragma once

#include <QObject>

#include <functional>
#include <map>
#include <memory>
#include <string>

namespace moodsteer::test {

using SuiteFactory = std::function<std::unique_ptr<QObject>()>;
std::map<std::string, SuiteFactory>& suites();

struct RegisterSuite {
    RegisterSuite(const char* name, SuiteFactory make) { suites()[name] = std::move(make); }
};

} // namespace moodsteer::test

#define MOODSTEER_QTEST_SUITE(Class)                                                               \
    static ::moodsteer::test::RegisterSuite registerSuite##Class(                                  \
        #Class, [] { return std::unique_ptr<QObject>(new Class); })
