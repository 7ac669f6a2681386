// Model folders the user added by hand (outside the hub cache), remembered in
// $XDG_CONFIG_HOME/moodsteer/local-models.json (else ~/.config/...). Only paths are stored:
// the folders are used in place and removing an entry never touches the folder.
// Thread contract: not synchronised; one caller at a time (writes are atomic renames).
#pragma once

#include <string>
#include <vector>

namespace moodsteer {

class LocalModelList {
  public:
    /// The default file, or `file` (tests).
    explicit LocalModelList(std::string file = defaultFile());
    static std::string defaultFile();

    std::vector<std::string> folders() const;
    /// Adds the absolute path of `folder`; throws std::runtime_error naming the folder unless
    /// it holds config.json. Returns the stored path.
    std::string add(const std::string& folder);
    /// False if the folder was not listed.
    bool remove(const std::string& folder);

  private:
    void save(const std::vector<std::string>& folders) const;
    std::string file_;
};

} // namespace moodsteer
