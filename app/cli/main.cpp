// moodsteer-cli: everything the studio does, scriptable. Each sub-command registers itself
// (see CliCommand.h); failures exit non-zero with one line on stderr.
#include "CliCommand.h"
#include "Interrupt.h"

#include "core/io/AtomicWrite.h"
#include "core/io/ErrorText.h"

#include <cstdio>
#include <exception>
#include <iostream>

using namespace moodsteer::cli;

static void printUsage() {
    std::cout << "usage: moodsteer-cli <command> [options]   (moodsteer-cli <command> --help)\n\n"
                 "commands:\n";
    for (const auto& [name, entry] : commandRegistry())
        std::printf("  %-18s %s\n", name.c_str(), entry.summary.c_str());
}

int main(int argc, char** argv) {
    if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
        printUsage();
        return argc < 2 ? 2 : 0;
    }
    const std::string name = argv[1];
    auto it = commandRegistry().find(name);
    if (it == commandRegistry().end()) {
        std::cerr << "moodsteer-cli: unknown command '" << name << "' (see moodsteer-cli --help)\n";
        return 2;
    }
    std::vector<std::string> args(argv + 2, argv + argc);
    installInterruptHandlers();
    // Temporaries of ours left by a killed run (SIGKILL, power loss) in the working folder;
    // other folders are swept when something is next written there.
    moodsteer::removeStaleTemporaries(".");
    try {
        const int rc = it->second.run(args);
        if (interrupted()) {
            // The signal came while the outputs were being finished: they are complete.
            std::cerr << "moodsteer-cli " << name
                      << ": interrupted after the outputs were complete (kept)\n";
            return interruptExitCode();
        }
        return rc;
    } catch (const Interrupted& e) {
        std::cerr << "moodsteer-cli " << name << ": interrupted: " << e.what() << "\n";
        return interruptExitCode();
    } catch (const UsageError& e) {
        std::cerr << "moodsteer-cli " << name << ": " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        if (interrupted()) { // a job stopped by the signal reports it as its error
            std::cerr << "moodsteer-cli " << name << ": interrupted: " << moodsteer::oneLineError(e)
                      << "\n";
            return interruptExitCode();
        }
        std::cerr << "moodsteer-cli " << name << ": " << moodsteer::oneLineError(e) << "\n";
        return 1;
    }
}
