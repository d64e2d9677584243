using Serve.Proxy;

namespace Serve.Runtime.Tests.Proxy;

public sealed class RequestIdsTests
{
    [Theory]
    [InlineData("123")]
    [InlineData("abc-DEF_ghi.42:x/y")]
    [InlineData("~ !")]
    public void A_printable_ascii_id_is_kept(string id) => Assert.Equal(id, RequestIds.FromClient(id));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("h\u00e9llo")]
    [InlineData("a\r\nSet-Cookie: x=1")]
    [InlineData("tab\there")]
    public void An_unsafe_or_missing_id_is_replaced_with_a_uuid(string? id)
    {
        var chosen = RequestIds.FromClient(id);
        Assert.True(Guid.TryParse(chosen, out _), chosen);
    }

    [Fact]
    public void An_overlong_id_is_replaced()
    {
        Assert.Equal(new string('a', 256), RequestIds.FromClient(new string('a', 256)));
        Assert.True(Guid.TryParse(RequestIds.FromClient(new string('a', 257)), out _));
    }
}

public sealed class NewRequestIdTests
{
    [Fact]
    public void New_ids_are_distinct_version_4_uuids()
    {
        var ids = Enumerable.Range(0, 1000).Select(_ => RequestIds.NewId()).ToArray();
        Assert.Equal(ids.Length, ids.Distinct().Count());
        Assert.All(ids, id =>
        {
            Assert.True(Guid.TryParse(id, out var guid), id);
            Assert.Equal(4, guid.Version);
            Assert.Contains(id[19], "89ab");
        });
    }
}
