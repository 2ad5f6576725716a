using Edge.Proxy.Resilience;

namespace Edge.Proxy.Tests.Resilience;

public sealed class RetryBudgetTests
{
    [Fact]
    public void New_StartsWithBurstTokens()
    {
        var budget = new RetryBudget(budgetPercent: 20, burst: 3);

        Assert.Equal(3, Drain(budget));
    }

    [Fact]
    public void TryWithdraw_Empty_FailsAndStaysEmpty()
    {
        var budget = new RetryBudget(budgetPercent: 20, burst: 1);
        Assert.True(budget.TryWithdraw());

        Assert.False(budget.HasToken);
        Assert.False(budget.TryWithdraw());
        Assert.False(budget.TryWithdraw());
        Assert.False(budget.HasToken);
    }

    [Fact]
    public void OnRequest_AddsPercentOfAToken_WithdrawNeedsAWholeOne()
    {
        var budget = new RetryBudget(budgetPercent: 25, burst: 1);
        Assert.True(budget.TryWithdraw());

        // 25 % a request: three requests leave three quarters of a token, which buys nothing.
        for (var i = 0; i < 3; i++)
        {
            budget.OnRequest();
            Assert.False(budget.HasToken);
        }

        Assert.False(budget.TryWithdraw());

        budget.OnRequest();
        Assert.True(budget.HasToken);
        Assert.True(budget.TryWithdraw());
        Assert.False(budget.TryWithdraw());
    }

    [Fact]
    public void OnRequest_Full_CapsAtBurst()
    {
        var budget = new RetryBudget(budgetPercent: 100, burst: 2);

        for (var i = 0; i < 50; i++)
        {
            budget.OnRequest();
        }

        Assert.Equal(2, Drain(budget));
    }

    [Fact]
    public void OnRequest_AfterSpending_RefillsOnlyUpToBurst()
    {
        var budget = new RetryBudget(budgetPercent: 50, burst: 2);
        Assert.Equal(2, Drain(budget));

        for (var i = 0; i < 100; i++)
        {
            budget.OnRequest();
        }

        Assert.Equal(2, Drain(budget));
    }

    [Fact]
    public void OnRequest_ZeroPercent_NeverRefills()
    {
        var budget = new RetryBudget(budgetPercent: 0, burst: 2);
        Assert.Equal(2, Drain(budget));

        for (var i = 0; i < 1000; i++)
        {
            budget.OnRequest();
        }

        Assert.Equal(0, Drain(budget));
    }

    [Fact]
    public void OnRequest_TwentyPercentOfTenRequests_AllowsTwoRetries()
    {
        var budget = new RetryBudget(budgetPercent: 20, burst: 10);
        Assert.Equal(10, Drain(budget));

        for (var i = 0; i < 10; i++)
        {
            budget.OnRequest();
        }

        Assert.Equal(2, Drain(budget));
    }

    [Fact]
    public void OnRequest_RetryAfterEveryFifthRequest_KeepsUpAtTwentyPercent()
    {
        var budget = new RetryBudget(budgetPercent: 20, burst: 1);
        Assert.True(budget.TryWithdraw());

        var retries = 0;
        for (var i = 1; i <= 100; i++)
        {
            budget.OnRequest();
            if (budget.TryWithdraw())
            {
                retries++;
            }
        }

        Assert.Equal(20, retries);
    }

    [Fact]
    public void ParallelFor_RequestsThenRetries_SpendsExactlyWhatWasEarned()
    {
        // A burst too large to cap anything: a lost update would earn less, a double spend pay more.
        const int Requests = 100_000;
        var budget = new RetryBudget(budgetPercent: 20, burst: Requests);
        Assert.Equal(Requests, Drain(budget));

        Parallel.For(0, Requests, _ => budget.OnRequest());
        var withdrawals = 0;
        Parallel.For(0, Requests, _ =>
        {
            if (budget.TryWithdraw())
            {
                Interlocked.Increment(ref withdrawals);
            }
        });

        Assert.Equal(20_000, withdrawals);
        Assert.False(budget.HasToken);
    }

    [Fact]
    public void ParallelFor_RequestsPastTheCap_SaveExactlyTheBurst()
    {
        const int Requests = 100_000;
        var budget = new RetryBudget(budgetPercent: 20, burst: 1_000);
        Assert.Equal(1_000, Drain(budget));

        Parallel.For(0, Requests, _ => budget.OnRequest());

        // 20 % of 100 000 is 20 000 tokens, but at most the burst is ever saved up.
        Assert.Equal(1_000, Drain(budget));
    }

    [Fact]
    public void ParallelFor_RequestsAndRetriesInterleaved_NeverSpendMoreThanBurstPlusPercent()
    {
        // 100 000 requests on every core, each followed by two retry attempts: at 5 % and a burst
        // of 3 the budget pays for at most 3 + 5 000 retries, whatever the interleaving.
        const int Requests = 100_000;
        const int Burst = 3;
        const int Earned = Burst + (Requests * 5 / 100);
        var budget = new RetryBudget(budgetPercent: 5, burst: Burst);
        var withdrawals = 0;

        Parallel.For(0, Requests, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(4, Environment.ProcessorCount) }, _ =>
        {
            budget.OnRequest();
            var spent = (budget.TryWithdraw() ? 1 : 0) + (budget.TryWithdraw() ? 1 : 0);
            Interlocked.Add(ref withdrawals, spent);
        });

        var left = Drain(budget);
        Assert.InRange(withdrawals, Burst, Earned);
        Assert.InRange(withdrawals + left, Burst, Earned);
    }

    private static int Drain(RetryBudget budget)
    {
        var count = 0;
        while (budget.TryWithdraw())
        {
            count++;
        }

        return count;
    }
}
