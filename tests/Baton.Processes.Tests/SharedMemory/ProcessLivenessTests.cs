using Baton.Processes.Internal;
using Xunit;

namespace Baton.Processes.Tests.SharedMemory;

public class ProcessLivenessTests
{
    [Fact]
    public void ThisProcess_IsAlive() => Assert.True(ProcessLiveness.IsAlive(Environment.ProcessId));

    [Fact]
    public void AKilledAndReapedProcess_IsDead()
    {
        string path = Path.GetTempFileName();
        try
        {
            int pid;
            using (var owner = ForeignOwner.Start(path))
            {
                pid = owner.Pid;
                Assert.True(ProcessLiveness.IsAlive(pid));
                owner.KillHard();
            }
            Assert.False(ProcessLiveness.IsAlive(pid));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void AZombie_IsDead()
    {
        // The shell exits at once; nothing reaps it while its parent (python) sleeps, so it stays a zombie.
        var info = new System.Diagnostics.ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardInput = true };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("import os, subprocess, sys\nchild = subprocess.Popen(['true'])\nos.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)\nprint(child.pid, flush=True)\nsys.stdin.read()");
        using var parent = System.Diagnostics.Process.Start(info)!;
        try
        {
            int zombie = int.Parse(parent.StandardOutput.ReadLine()!, System.Globalization.CultureInfo.InvariantCulture);
            Assert.False(ProcessLiveness.IsAlive(zombie));
        }
        finally
        {
            parent.Kill();
            parent.WaitForExit();
        }
    }

    [Fact]
    public void ProcessGroupIds_AreRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ProcessLiveness.IsAlive(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => ProcessLiveness.IsAlive(-1));
    }
}
