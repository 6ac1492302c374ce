/**
 * The `muon` process: runs the CLI on this process's arguments and sets its exit code. The entry
 * of the built CLI (scripts/build.mjs bundles it into dist/cli/run.mjs) and of a checkout's
 * bin/muon.mjs through tsx alike, so both start the same way.
 */
import { main } from '#cli/main.ts';

// The AWS SDK warns on every start that Node 20 will lose support; the engines field says so once.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.exitCode = await main(process.argv);
