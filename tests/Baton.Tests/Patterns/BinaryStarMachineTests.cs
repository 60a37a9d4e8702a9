using Baton.Patterns;
using Xunit;

namespace Baton.Tests.Patterns;

/// <summary>The Binary Star state machine, rule by rule, on a clock the test moves (heartbeat 1000 ms, so a peer is dead 2000 ms after it last spoke).</summary>
public sealed class BinaryStarMachineTests
{
    private const long Heartbeat = 1000;

    [Theory]
    [InlineData(BinaryStarRole.Primary, BinaryStarState.Backup, BinaryStarState.Active)]
    [InlineData(BinaryStarRole.Primary, BinaryStarState.Active, BinaryStarState.Passive)]
    [InlineData(BinaryStarRole.Primary, BinaryStarState.Primary, BinaryStarState.Primary)]
    [InlineData(BinaryStarRole.Primary, BinaryStarState.Passive, BinaryStarState.Primary)]
    [InlineData(BinaryStarRole.Backup, BinaryStarState.Active, BinaryStarState.Passive)]
    [InlineData(BinaryStarRole.Backup, BinaryStarState.Primary, BinaryStarState.Backup)]
    [InlineData(BinaryStarRole.Backup, BinaryStarState.Passive, BinaryStarState.Backup)]
    public void WaitingServer_TakesItsRoleFromWhatThePeerSays(BinaryStarRole role, BinaryStarState peer, BinaryStarState expected)
    {
        var machine = new BinaryStarMachine(role, Heartbeat, now: 0);
        Assert.Null(machine.OnPeerState(peer, now: 10));
        Assert.Equal(expected, machine.State);
    }

    [Fact]
    public void PairStartedTogether_PrimaryActive_BackupPassive()
    {
        var primary = new BinaryStarMachine(BinaryStarRole.Primary, Heartbeat, now: 0);
        var backup = new BinaryStarMachine(BinaryStarRole.Backup, Heartbeat, now: 0);

        // Heartbeats cross: each hears the other's waiting state, then the states that follow.
        Assert.Null(primary.OnPeerState(BinaryStarState.Backup, 1000));
        Assert.Null(backup.OnPeerState(BinaryStarState.Primary, 1000));
        Assert.Null(backup.OnPeerState(primary.State, 2000));
        Assert.Null(primary.OnPeerState(backup.State, 2000));

        Assert.Equal(BinaryStarState.Active, primary.State);
        Assert.Equal(BinaryStarState.Passive, backup.State);
    }

    [Fact]
    public void Passive_PeerAlive_RefusesClientRequests_AndStaysPassive()
    {
        var backup = Passive(lastHeard: 5000);

        // The split-brain guard: a client knocking is not enough while the peer still speaks.
        Assert.False(backup.OnClientRequest(now: 5000));
        Assert.False(backup.OnClientRequest(now: 6999));
        Assert.Equal(BinaryStarState.Passive, backup.State);
    }

    [Fact]
    public void Passive_PeerSilentForTwoHeartbeats_NoClient_StaysPassive()
    {
        var backup = Passive(lastHeard: 5000);

        // Time alone changes nothing: no event, no transition (the peer may be alive behind a broken link).
        Assert.Equal(BinaryStarState.Passive, backup.State);
        Assert.Equal(7000, backup.PeerExpiry);
    }

    [Fact]
    public void Passive_PeerSilentForTwoHeartbeats_ClientRequest_BecomesActiveAndServes()
    {
        var backup = Passive(lastHeard: 5000);
        Assert.True(backup.OnClientRequest(now: 7000));
        Assert.Equal(BinaryStarState.Active, backup.State);
    }

    [Fact]
    public void Passive_PeerRestarts_BecomesActive()
    {
        var backup = Passive(lastHeard: 5000);
        Assert.Null(backup.OnPeerState(BinaryStarState.Primary, 5500));
        Assert.Equal(BinaryStarState.Active, backup.State);

        var primary = new BinaryStarMachine(BinaryStarRole.Primary, Heartbeat, now: 0);
        Assert.Null(primary.OnPeerState(BinaryStarState.Active, 100));
        Assert.Null(primary.OnPeerState(BinaryStarState.Backup, 200));
        Assert.Equal(BinaryStarState.Active, primary.State);
    }

    [Fact]
    public void OldPrimaryComesBack_AfterFailover_GoesPassive()
    {
        // The backup took over; the primary restarts in its waiting state and hears an active peer.
        var primary = new BinaryStarMachine(BinaryStarRole.Primary, Heartbeat, now: 10_000);
        Assert.False(primary.OnClientRequest(now: 10_500));
        Assert.Null(primary.OnPeerState(BinaryStarState.Active, 10_900));
        Assert.Equal(BinaryStarState.Passive, primary.State);
        Assert.False(primary.OnClientRequest(now: 11_000));
    }

    [Fact]
    public void Backup_NeverServesBeforeItHearsAnActivePrimary()
    {
        var backup = new BinaryStarMachine(BinaryStarRole.Backup, Heartbeat, now: 0);
        Assert.False(backup.OnClientRequest(now: 100));
        Assert.False(backup.OnClientRequest(now: 1_000_000));
        Assert.Equal(BinaryStarState.Backup, backup.State);
    }

    [Fact]
    public void PrimaryAlone_ServesOnlyAfterTwoSilentHeartbeats()
    {
        var primary = new BinaryStarMachine(BinaryStarRole.Primary, Heartbeat, now: 0);

        // Not at once: the backup may be active after a failover, and we have not heard it yet.
        Assert.False(primary.OnClientRequest(now: 1999));
        Assert.Equal(BinaryStarState.Primary, primary.State);
        Assert.True(primary.OnClientRequest(now: 2000));
        Assert.Equal(BinaryStarState.Active, primary.State);
    }

    [Fact]
    public void Active_StaysActive_WhateverTheWaitingOrPassivePeerSays()
    {
        var machine = new BinaryStarMachine(BinaryStarRole.Primary, Heartbeat, now: 0);
        Assert.Null(machine.OnPeerState(BinaryStarState.Backup, 0));
        foreach (var peer in new[] { BinaryStarState.Primary, BinaryStarState.Backup, BinaryStarState.Passive })
        {
            Assert.Null(machine.OnPeerState(peer, 100));
            Assert.Equal(BinaryStarState.Active, machine.State);
            Assert.True(machine.OnClientRequest(100));
        }
    }

    [Fact]
    public void Active_PeerActive_IsSplitBrain()
    {
        var machine = new BinaryStarMachine(BinaryStarRole.Primary, Heartbeat, now: 0);
        Assert.Null(machine.OnPeerState(BinaryStarState.Backup, 0));
        Assert.Contains("split brain", machine.OnPeerState(BinaryStarState.Active, 100));
    }

    [Fact]
    public void Passive_PeerPassive_IsAConflict()
    {
        var machine = Passive(lastHeard: 0);
        Assert.Contains("both servers are passive", machine.OnPeerState(BinaryStarState.Passive, 100));
    }

    private static BinaryStarMachine Passive(long lastHeard)
    {
        var machine = new BinaryStarMachine(BinaryStarRole.Backup, Heartbeat, now: 0);
        Assert.Null(machine.OnPeerState(BinaryStarState.Active, lastHeard));
        Assert.Equal(BinaryStarState.Passive, machine.State);
        return machine;
    }
}
