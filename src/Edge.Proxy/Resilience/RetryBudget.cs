namespace Edge.Proxy.Resilience;

/// <summary>
/// Caps retries at a share of a cluster's requests, so retries can never multiply an outage:
/// every request adds <c>BudgetPercent</c>/100 of a token, every retry spends one; it starts with
/// <c>BudgetBurst</c> tokens and saves up at most that many (at least one). Lock-free; counted in
/// thousandths of a token.
/// </summary>
internal sealed class RetryBudget(double budgetPercent, int burst)
{
    private const long Token = 1000;
    private readonly long _perRequest = (long)Math.Round(budgetPercent * Token / 100);
    // At least one token can be saved, so a burst of 0 still allows retries once traffic has paid for them.
    private readonly long _cap = Math.Max(burst, 1) * Token;
    private long _balance = burst * Token;

    public bool HasToken => Volatile.Read(ref _balance) >= Token;

    public void OnRequest()
    {
        if (_perRequest == 0)
        {
            return;
        }

        long current, next;
        do
        {
            current = Volatile.Read(ref _balance);
            if (current >= _cap)
            {
                return;
            }

            next = Math.Min(_cap, current + _perRequest);
        }
        while (Interlocked.CompareExchange(ref _balance, next, current) != current);
    }

    public bool TryWithdraw()
    {
        long current;
        do
        {
            current = Volatile.Read(ref _balance);
            if (current < Token)
            {
                return false;
            }
        }
        while (Interlocked.CompareExchange(ref _balance, current - Token, current) != current);

        return true;
    }
}
