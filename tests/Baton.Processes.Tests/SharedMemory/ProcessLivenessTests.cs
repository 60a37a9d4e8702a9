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
    public void ProcessGroupIds_AreRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ProcessLiveness.IsAlive(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => ProcessLiveness.IsAlive(-1));
    }
}
