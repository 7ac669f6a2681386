// What a hub (or any server at HF_ENDPOINT) sends, parsed apart from the transfer
// (core/src/hub/HubResponses.h): every malformed answer is one HubError line naming the file;
// before, a size such as "abc" escaped as std::invalid_argument from std::stoull.
#include "hub/HubResponses.h"

#include <gtest/gtest.h>

using namespace moodsteer;

namespace {

std::string errorOf(const std::function<void()>& f) {
    try {
        f();
    } catch (const HubError& e) {
        return e.what();
    }
    return "";
}

} // namespace

TEST(HubResponses, RevisionAnswerGivesTheCommitAndFiles) {
    const auto a = hub::parseRevisionAnswer(
        R"({"sha": "0123456789abcdef0123456789abcdef01234567",
            "siblings": [{"rfilename": "config.json"}, {"rfilename": 3}, "x"]})",
        "org/repo", "http://hub");
    EXPECT_EQ(a.commit, "0123456789abcdef0123456789abcdef01234567");
    EXPECT_TRUE(a.haveSiblings);
    EXPECT_EQ(a.siblings, std::set<std::string>{"config.json"});
    EXPECT_NE(errorOf([] {
                  hub::parseRevisionAnswer("<html>", "org/repo", "http://hub");
              }).find("is not JSON (is http://hub a Hugging Face hub?)"),
              std::string::npos);
    EXPECT_NE(errorOf([] {
                  hub::parseRevisionAnswer(R"({"sha": 7})", "org/repo", "h");
              }).find("org/repo: the hub did not name a commit"),
              std::string::npos);
    EXPECT_NE(errorOf([] { hub::parseRevisionAnswer("[1]", "org/repo", "h"); }).find("not JSON"),
              std::string::npos);
}

TEST(HubResponses, FileHeadersGiveAPlainEtagAndACheckedSize) {
    const auto lfs = hub::parseFileHeaders({{"x-linked-etag", "\"ab12\""},
                                            {"x-linked-size", "2364427288"},
                                            {"etag", "\"zz\""},
                                            {"content-length", "0"}},
                                           "org/repo/model.safetensors");
    EXPECT_EQ(lfs.etag, "ab12");
    EXPECT_EQ(lfs.size, 2364427288u);
    const auto small =
        hub::parseFileHeaders({{"etag", "W/\"cd34\""}, {"content-length", "7412"}}, "f");
    EXPECT_EQ(small.etag, "cd34");
    EXPECT_EQ(small.size, 7412u);
    for (const char* size : {"abc", "12abc", "-5", "99999999999999999999999"}) {
        const auto e = errorOf([&] {
            hub::parseFileHeaders({{"etag", "\"ab\""}, {"content-length", size}}, "org/repo/f");
        });
        EXPECT_NE(e.find("org/repo/f: the hub sent a malformed file size"), std::string::npos)
            << size << ": " << e;
    }
    for (const char* etag : {"\"../../x\"", "\"a/b\"", "\"\"", "\"a b\""}) {
        const auto e = errorOf([&] { hub::parseFileHeaders({{"etag", etag}}, "org/repo/f"); });
        EXPECT_NE(e.find("no usable ETag"), std::string::npos) << etag << ": " << e;
    }
}
